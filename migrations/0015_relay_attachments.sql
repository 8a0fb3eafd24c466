ALTER TABLE "files" ALTER COLUMN "case_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "files" ALTER COLUMN "header_nonce" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "files" ALTER COLUMN "header_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "files" ADD COLUMN "relay_id" text;--> statement-breakpoint
ALTER TABLE "files" ADD CONSTRAINT "files_relay_id_relays_id_fk" FOREIGN KEY ("relay_id") REFERENCES "public"."relays"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "files_relay" ON "files" USING btree ("relay_id");--> statement-breakpoint
ALTER TABLE "files" ADD CONSTRAINT "files_kind_shape" CHECK (("files"."header_nonce" is not null and "files"."header_ciphertext" is not null and "files"."relay_id" is null and "files"."case_id" is not null) or ("files"."header_nonce" is null and "files"."header_ciphertext" is null and "files"."author" = 'adviser' and "files"."account_id" is not null and ("files"."case_id" is not null or "files"."relay_id" is not null)));
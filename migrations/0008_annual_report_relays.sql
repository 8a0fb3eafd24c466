ALTER TABLE "relays" ALTER COLUMN "case_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "relays" ALTER COLUMN "copy_nonce" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "relays" ALTER COLUMN "copy_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "relays" ADD COLUMN "kind" text DEFAULT 'case' NOT NULL;--> statement-breakpoint
ALTER TABLE "relays" ADD CONSTRAINT "relays_kind_shape" CHECK (("relays"."kind" = 'case' and "relays"."case_id" is not null and "relays"."copy_nonce" is not null and "relays"."copy_ciphertext" is not null) or ("relays"."kind" = 'annual_report' and "relays"."case_id" is null and "relays"."copy_nonce" is null and "relays"."copy_ciphertext" is null));
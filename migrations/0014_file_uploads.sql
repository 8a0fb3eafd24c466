DROP TABLE "file_chunks" CASCADE;--> statement-breakpoint
ALTER TABLE "files" ALTER COLUMN "bytes" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "files" ADD COLUMN "account_id" text;--> statement-breakpoint
ALTER TABLE "files" ADD CONSTRAINT "files_account_id_staff_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "files_open_uploads" ON "files" USING btree ("created_at") WHERE completed_at is null;
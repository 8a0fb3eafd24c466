ALTER TABLE "relays" DROP CONSTRAINT "relays_kind_shape";--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "mailbox_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "reporter_sign_public_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "reporter_box_public_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "reporter_wrap" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "report_nonce" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "report_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "held_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "held_by" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "hold_nonce" "bytea";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "hold_ciphertext" "bytea";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "retention_months" integer DEFAULT 12 NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_held_by_staff_accounts_id_fk" FOREIGN KEY ("held_by") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_closed" ON "cases" USING btree ("closed_at") WHERE "cases"."status" = 'closed' and "cases"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "cases_deleted" ON "cases" USING btree ("deleted_at") WHERE "cases"."deleted_at" is not null;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_deleted_shape" CHECK (("cases"."deleted_at" is null and "cases"."mailbox_id" is not null and "cases"."reporter_sign_public_key" is not null and "cases"."reporter_box_public_key" is not null and "cases"."reporter_wrap" is not null and "cases"."report_nonce" is not null and "cases"."report_ciphertext" is not null) or ("cases"."deleted_at" is not null and "cases"."mailbox_id" is null and "cases"."reporter_sign_public_key" is null and "cases"."reporter_box_public_key" is null and "cases"."reporter_wrap" is null and "cases"."report_nonce" is null and "cases"."report_ciphertext" is null and "cases"."held_at" is null));--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_hold_shape" CHECK (("cases"."held_at" is null) = ("cases"."hold_nonce" is null) and ("cases"."held_at" is null) = ("cases"."hold_ciphertext" is null) and ("cases"."held_at" is null) = ("cases"."held_by" is null));--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_retention_months" CHECK ("channels"."retention_months" between 1 and 120);--> statement-breakpoint
-- Annual reports are decided as they are made: the new check tells them from what retention leaves of a case's relay by this.
UPDATE "relays" SET "decided_at" = date_trunc('hour', "created_at") WHERE "kind" = 'annual_report' AND "decided_at" IS NULL;--> statement-breakpoint
ALTER TABLE "relays" ADD CONSTRAINT "relays_kind_shape" CHECK (("relays"."kind" = 'case' and (("relays"."case_id" is not null and "relays"."copy_nonce" is not null and "relays"."copy_ciphertext" is not null) or ("relays"."state" = 'sent' and "relays"."decided_at" is null and "relays"."copy_nonce" is null and "relays"."copy_ciphertext" is null))) or ("relays"."kind" = 'annual_report' and "relays"."case_id" is null and "relays"."copy_nonce" is null and "relays"."copy_ciphertext" is null and "relays"."decided_at" is not null));--> statement-breakpoint
-- Cases closed before this version: their retention counts from the upgrade, never from a guess.
UPDATE "cases" SET "closed_at" = now() WHERE "status" = 'closed';

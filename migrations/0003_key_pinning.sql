ALTER TABLE "case_wraps" ADD COLUMN "pin" "bytea";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "commitment_key" "bytea";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "commitment_signature" "bytea";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "commitment_chosen" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "commitment_excluded" text;--> statement-breakpoint
ALTER TABLE "relays" ADD COLUMN "approval" "bytea";
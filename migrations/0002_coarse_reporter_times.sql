CREATE TABLE "reporter_events" (
	"hour" timestamp with time zone NOT NULL,
	"action" text NOT NULL,
	"case_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spent_mailbox_challenges" (
	"challenge_hash" "bytea" PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- Stored challenges live two minutes; signed ones replace them, so the open ones are simply dropped.
ALTER TABLE "mailbox_challenges" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "mailbox_challenges" CASCADE;--> statement-breakpoint
DROP INDEX "messages_case_sent";--> statement-breakpoint
ALTER TABLE "case_wraps" ADD COLUMN "last_read_seq" integer;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "message_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "reporter_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "seq" integer;--> statement-breakpoint
-- Number existing messages per case in the order they were shown so far, before their times are floored.
UPDATE "messages" SET "seq" = "numbered"."n"
FROM (SELECT "id", row_number() OVER (PARTITION BY "case_id" ORDER BY "sent_at", "id") AS "n" FROM "messages") AS "numbered"
WHERE "messages"."id" = "numbered"."id";--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
UPDATE "cases" SET
	"message_seq" = coalesce((SELECT max("m"."seq") FROM "messages" "m" WHERE "m"."case_id" = "cases"."id"), 0),
	"reporter_seq" = coalesce((SELECT max("m"."seq") FROM "messages" "m" WHERE "m"."case_id" = "cases"."id" AND "m"."author" = 'reporter'), 0);--> statement-breakpoint
-- An adviser has read what was sent up to their last opening: the same answer the time comparison gave.
UPDATE "case_wraps" SET "last_read_seq" = coalesce(
	(SELECT max("m"."seq") FROM "messages" "m" WHERE "m"."case_id" = "case_wraps"."case_id" AND "m"."sent_at" <= "case_wraps"."last_read_at"), 0)
WHERE "last_read_at" IS NOT NULL;--> statement-breakpoint
-- Reporter-side times become whole UTC hours; ends (sessions, spent challenges) move up to the next whole hour.
UPDATE "cases" SET "received_at" = date_trunc('hour', "received_at", 'UTC');--> statement-breakpoint
UPDATE "messages" SET "sent_at" = date_trunc('hour', "sent_at", 'UTC') WHERE "author" = 'reporter';--> statement-breakpoint
UPDATE "relays" SET "decided_at" = date_trunc('hour', "decided_at", 'UTC') WHERE "decided_at" IS NOT NULL;--> statement-breakpoint
UPDATE "case_wraps" SET "created_at" = date_trunc('hour', "created_at", 'UTC') WHERE "granted_by" IS NULL;--> statement-breakpoint
UPDATE "mailbox_sessions" SET "expires_at" = date_trunc('hour', "expires_at" - interval '1 microsecond', 'UTC') + interval '1 hour';--> statement-breakpoint
UPDATE "spent_pow_challenges" SET "expires_at" = date_trunc('hour', "expires_at" - interval '1 microsecond', 'UTC') + interval '1 hour';--> statement-breakpoint
-- Reporter events not yet sealed leave the audit path for reporter_events (a consent names its relay's case).
-- Those sealed before stay in the chain: removing them would break it.
INSERT INTO "reporter_events" ("hour", "action", "case_id")
SELECT date_trunc('hour', "e"."at", 'UTC'),
	CASE "e"."action" WHEN 'reporter_message' THEN 'message' ELSE "e"."action" END,
	"c"."id"
FROM "audit_events" "e"
LEFT JOIN "relays" "r" ON "e"."action" = 'consent' AND "r"."id" = "e"."subject"
JOIN "cases" "c" ON "c"."id" = coalesce("r"."case_id", "e"."subject")
WHERE "e"."actor" = 'reporter' AND "e"."action" IN ('submitted', 'reporter_message', 'consent', 'rotated');--> statement-breakpoint
DELETE FROM "audit_events" WHERE "actor" = 'reporter';--> statement-breakpoint
ALTER TABLE "reporter_events" ADD CONSTRAINT "reporter_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reporter_events_hour" ON "reporter_events" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "reporter_events_case" ON "reporter_events" USING btree ("case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_case_seq" ON "messages" USING btree ("case_id","seq");--> statement-breakpoint
ALTER TABLE "case_wraps" DROP COLUMN "last_read_at";--> statement-breakpoint
ALTER TABLE "cases" DROP COLUMN "last_reporter_activity_at";--> statement-breakpoint
ALTER TABLE "mailbox_sessions" DROP COLUMN "last_used_at";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_no_reporter" CHECK ("audit_events"."actor" <> 'reporter');

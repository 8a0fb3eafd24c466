ALTER TABLE "cases" ADD COLUMN "feedback_given_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "feedback" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Cases from before feedback was marked keep what the old rule said: the latest adviser message
-- after the acknowledgement (or after receipt, when there was none) was the feedback.
UPDATE "cases" SET "feedback_given_at" = "last_adviser_message_at" WHERE "last_adviser_message_at" > coalesce("acknowledged_at", "received_at");--> statement-breakpoint
UPDATE "messages" AS m SET "feedback" = true FROM "cases" AS c WHERE m."case_id" = c."id" AND m."author" = 'adviser' AND m."sent_at" = c."feedback_given_at";
CREATE TABLE "mail_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"subject" text,
	"body" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"claimed_until" timestamp with time zone,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notification_news" (
	"account_id" text NOT NULL,
	"place_id" text NOT NULL,
	"place_kind" text NOT NULL,
	CONSTRAINT "notification_news_account_id_place_id_pk" PRIMARY KEY("account_id","place_id")
);
--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "notify_email" text;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "notify_immediate" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "staff_accounts" ADD COLUMN "notify_lang" text DEFAULT 'nl' NOT NULL;--> statement-breakpoint
ALTER TABLE "mail_outbox" ADD CONSTRAINT "mail_outbox_account_id_staff_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_news" ADD CONSTRAINT "notification_news_account_id_staff_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."staff_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "mail_outbox_digest" ON "mail_outbox" USING btree ("account_id","due_at") WHERE "mail_outbox"."kind" = 'digest';--> statement-breakpoint
CREATE UNIQUE INDEX "mail_outbox_immediate_pending" ON "mail_outbox" USING btree ("account_id") WHERE "mail_outbox"."kind" = 'immediate' and "mail_outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "mail_outbox_due" ON "mail_outbox" USING btree ("next_attempt_at") WHERE "mail_outbox"."sent_at" is null;
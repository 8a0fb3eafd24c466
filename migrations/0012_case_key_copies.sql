ALTER TABLE "case_wraps" ADD COLUMN "key_copy_nonce" "bytea";--> statement-breakpoint
ALTER TABLE "case_wraps" ADD COLUMN "key_copy_ciphertext" "bytea";
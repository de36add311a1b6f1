CREATE TABLE `uploads` (
	`key` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`api_key_id` text,
	`content_type` text NOT NULL,
	`content_length` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `uploads_created` ON `uploads` (`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event` text NOT NULL,
	`attempt` integer NOT NULL,
	`attempted_at` integer NOT NULL,
	`status` integer,
	`duration_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_job` ON `webhook_deliveries` (`job_id`,`id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `name` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `webhook_secret_version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `webhook_secret_rotated_at` integer;--> statement-breakpoint
CREATE INDEX `api_keys_owner` ON `api_keys` (`owner`,`created_at`);--> statement-breakpoint
ALTER TABLE `images` ADD `delivered_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `api_key_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `webhook_url` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `webhook_events` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `started_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `runpod_delay_ms` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `runpod_execution_ms` integer;--> statement-breakpoint
CREATE INDEX `jobs_created` ON `jobs` (`created_at`);
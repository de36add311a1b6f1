CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`idx` integer NOT NULL,
	`key` text NOT NULL,
	`size` integer NOT NULL,
	`content_type` text NOT NULL,
	`width` integer,
	`height` integer,
	`sha256` text,
	`source` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `images_job_index` ON `images` (`job_id`,`idx`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`error` text,
	`params` text NOT NULL,
	`expected_images` integer NOT NULL,
	`runpod_job_id` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`deadline_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_owner_created` ON `jobs` (`owner`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_owner_idempotency` ON `jobs` (`owner`,`idempotency_key`);
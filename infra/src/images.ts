/**
 * Container images: one private ECR repository per app, and the images built from the repo's
 * Dockerfiles and pushed during `pulumi up` (awsx.ecr.Image builds with the local Docker daemon).
 * The build context is the repository root because both Dockerfiles copy `shared/`.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { Architecture } from "./config.js";

/** The monorepo root, found from this file rather than the working directory Pulumi happens to use. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const APP_DOCKERFILES = {
  "control-plane": "control-plane/Dockerfile",
  worker: "worker-image/Dockerfile",
} as const;

export type AppName = keyof typeof APP_DOCKERFILES;

export interface AppImagesArgs {
  namePrefix: string;
  architecture: Architecture;
  /** Defaults to REPO_ROOT; tests and CI may point elsewhere. */
  repoRoot?: string;
  tags?: Record<string, string>;
}

export interface AppImage {
  repository: aws.ecr.Repository;
  image: awsx.ecr.Image;
  /** Digest-pinned URI: a new build changes it, which is what rolls the ECS service. */
  imageUri: pulumi.Output<string>;
}

/** Keeps the repository from growing forever; 20 images is ample for rollbacks. */
const LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: "Keep the 20 most recent images",
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 },
      action: { type: "expire" },
    },
  ],
});

export class AppImages extends pulumi.ComponentResource {
  readonly controlPlane: AppImage;
  readonly worker: AppImage;

  constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:AppImages", name, {}, opts);
    const root = args.repoRoot ?? REPO_ROOT;
    const platform = args.architecture === "arm64" ? "linux/arm64" : "linux/amd64";

    const build = (app: AppName): AppImage => {
      const repository = new aws.ecr.Repository(
        `${name}-${app}`,
        {
          name: `${args.namePrefix}/${app}`,
          imageScanningConfiguration: { scanOnPush: true },
          imageTagMutability: "MUTABLE",
          // `make destroy` must be able to remove a repository that still holds images.
          forceDelete: true,
          tags: args.tags ?? {},
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-${app}-lifecycle`,
        { repository: repository.name, policy: LIFECYCLE_POLICY },
        { parent: this },
      );
      const image = new awsx.ecr.Image(
        `${name}-${app}`,
        {
          repositoryUrl: repository.repositoryUrl,
          context: root,
          dockerfile: path.join(root, APP_DOCKERFILES[app]),
          // Must match the ECS hosts' architecture, whatever the machine running `make deploy` is.
          platform,
        },
        { parent: this },
      );
      return { repository, image, imageUri: image.imageUri };
    };

    this.controlPlane = build("control-plane");
    this.worker = build("worker");

    this.registerOutputs({
      controlPlaneImage: this.controlPlane.imageUri,
      workerImage: this.worker.imageUri,
    });
  }
}

/**
 * GET /v1/search: finished jobs from the archive by queue, type, state, finish
 * time, error text and payload/result fields; newest first, cursor-paginated.
 * 501 when this control plane has no archive configured.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { ApiError } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";
import { parseSearchQuery } from "./search-query.js";
import { searchParameters } from "./search-schemas.js";

export function searchRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/",
    describeRoute({
      operationId: "searchJobs",
      summary: "Search finished jobs in the archive, newest first",
      description: "Needs a configured archive (RQ_ARCHIVE_URL or RQ_ARCHIVE_DIR).",
      tag: "Archive",
      access: "read",
      query: searchParameters(),
      responses: {
        "200": { description: "One page; follow nextCursor", schema: ref("SearchPage") },
        "422": errorResponse("Bad filter, one issue per parameter"),
        "501": errorResponse("No archive configured"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const archive = services.archive;
      if (!archive) {
        throw new ApiError(
          501,
          "archive_disabled",
          "search needs the archive: set RQ_ARCHIVE_URL or RQ_ARCHIVE_DIR",
        );
      }
      const query = parseSearchQuery(new URL(c.req.url).searchParams);
      return c.json(await archive.search(query));
    },
  );
  return router;
}

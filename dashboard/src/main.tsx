/** Entry point: the router with Overview and Jobs in the first bundle, every other page loaded on demand. */
import { Route, Router } from "@solidjs/router";
import { lazy } from "solid-js";
import { render } from "solid-js/web";
import { App } from "./app.js";
import { JobsPage } from "./pages/jobs/jobs-page.js";
import { OverviewPage } from "./pages/overview/overview-page.js";
import "./styles.css";

const JobDetailPage = lazy(() => import("./pages/job-detail/job-detail-page.js"));
const DeadLettersPage = lazy(() => import("./pages/dead-letters/dead-letters-page.js"));
const WorkersPage = lazy(() => import("./pages/workers/workers-page.js"));
const QueuesPage = lazy(() => import("./pages/queues/queues-page.js"));
const SchedulesPage = lazy(() => import("./pages/schedules/schedules-page.js"));
const OperationsPage = lazy(() => import("./pages/operations/operations-page.js"));
const BenchmarkPage = lazy(() => import("./pages/benchmark/benchmark-page.js"));

function NotFound() {
  return <p class="empty">No such page.</p>;
}

const root = document.getElementById("root");
if (root) {
  render(
    () => (
      <Router root={App}>
        <Route path="/" component={OverviewPage} />
        <Route path="/jobs" component={JobsPage} />
        <Route path="/jobs/:id" component={JobDetailPage} />
        <Route path="/dead-letters" component={DeadLettersPage} />
        <Route path="/workers" component={WorkersPage} />
        <Route path="/queues" component={QueuesPage} />
        <Route path="/schedules" component={SchedulesPage} />
        <Route path="/operations/:id?" component={OperationsPage} />
        <Route path="/benchmark" component={BenchmarkPage} />
        <Route path="*" component={NotFound} />
      </Router>
    ),
    root,
  );
}

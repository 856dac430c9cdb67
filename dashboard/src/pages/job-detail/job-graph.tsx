/**
 * The job's dependency neighbourhood as a small graph: parents on the left, the
 * job in the middle, children on the right, each node coloured by its state and
 * linking to its own detail. At most 25 nodes a side are drawn; the rest are counted.
 */
import type { GraphNode, JobGraph } from "@rqueue/shared/contract";
import { A } from "@solidjs/router";
import { For, Show } from "solid-js";

const SHOWN = 25;
const ROW = 34;
const WIDTH = 720;
const NODE_W = 190;

function Column(props: { nodes: GraphNode[]; x: number; rows: number }) {
  return (
    <For each={props.nodes}>
      {(node, index) => (
        <A href={`/jobs/${encodeURIComponent(node.id)}`}>
          <g transform={`translate(${props.x}, ${offset(index(), props.nodes.length, props.rows)})`}>
            <rect width={NODE_W} height={26} rx={5} class="graph-node" data-state={node.state ?? "missing"} />
            <text x={8} y={17} class="graph-label">
              {node.id} · {node.type ?? "deleted"}
            </text>
          </g>
        </A>
      )}
    </For>
  );
}

const offset = (index: number, count: number, rows: number) => ((rows - count) / 2 + index) * ROW + 4;

export function JobGraphView(props: { graph: JobGraph }) {
  const parents = () => props.graph.parents.slice(0, SHOWN);
  const children = () => props.graph.children.slice(0, SHOWN);
  const rows = () => Math.max(1, parents().length, children().length);
  const centerY = () => offset(0, 1, rows()) + 13;
  const middleX = (WIDTH - NODE_W) / 2;
  const edge = (fromX: number, fromY: number, toX: number, toY: number) =>
    `M${fromX},${fromY} C${(fromX + toX) / 2},${fromY} ${(fromX + toX) / 2},${toY} ${toX},${toY}`;
  const hiddenParents = () => props.graph.parents.length - parents().length;
  const hiddenChildren = () => props.graph.job.dependentsCount - children().length;
  return (
    <div class="graph">
      <svg viewBox={`0 0 ${WIDTH} ${rows() * ROW + 8}`} role="img" aria-label="Dependency graph">
        <For each={parents()}>
          {(_, index) => (
            <path
              class="graph-edge"
              d={edge(NODE_W, offset(index(), parents().length, rows()) + 13, middleX, centerY())}
            />
          )}
        </For>
        <For each={children()}>
          {(_, index) => (
            <path
              class="graph-edge"
              d={edge(
                middleX + NODE_W,
                centerY(),
                WIDTH - NODE_W,
                offset(index(), children().length, rows()) + 13,
              )}
            />
          )}
        </For>
        <Column nodes={parents()} x={0} rows={rows()} />
        <g transform={`translate(${middleX}, ${centerY() - 13})`}>
          <rect
            width={NODE_W}
            height={26}
            rx={5}
            class="graph-node current"
            data-state={props.graph.job.state}
          />
          <text x={8} y={17} class="graph-label">
            {props.graph.job.id} · {props.graph.job.type}
          </text>
        </g>
        <Column nodes={children()} x={WIDTH - NODE_W} rows={rows()} />
      </svg>
      <Show when={hiddenParents() > 0 || hiddenChildren() > 0}>
        <p class="muted">
          {hiddenParents() > 0 ? `${hiddenParents()} more parents. ` : ""}
          {hiddenChildren() > 0 ? `${hiddenChildren()} more children.` : ""}
        </p>
      </Show>
    </div>
  );
}

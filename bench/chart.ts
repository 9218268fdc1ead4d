// The bench's chart: CPU per call and p99 per workload, the relay beside FLOOR, as SVG. Vega-Lite
// compiled to Vega and rendered by Vega's headless View in this process (no browser, no canvas:
// text is measured by Vega's own estimate).
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

export interface ChartPoint {
  workload: string
  /** 'relay' or 'FLOOR' */
  server: string
  cpuMsPerCall: number
  p99Ms: number
}

export async function chartSvg (points: ChartPoint[], title: string): Promise<string> {
  const values = points.flatMap(({ workload, server, cpuMsPerCall, p99Ms }) => [
    { workload, server, measure: 'CPU ms per call', value: Number(cpuMsPerCall.toFixed(2)) },
    { workload, server, measure: 'p99 latency, ms', value: p99Ms }
  ])
  const workloads = [...new Set(points.map(({ workload }) => workload))]
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'workload', type: 'nominal', sort: workloads, title: null },
            xOffset: { field: 'server', type: 'nominal', sort: ['relay', 'FLOOR'] },
            y: { field: 'value', type: 'quantitative', title: null },
            color: { field: 'server', type: 'nominal', sort: ['relay', 'FLOOR'], title: null, scale: { range: ['#1f6fb4', '#9aa5b1'] } }
          }
        },
        {
          mark: { type: 'text', dy: -6, fontSize: 9 },
          encoding: {
            x: { field: 'workload', type: 'nominal', sort: workloads },
            xOffset: { field: 'server', type: 'nominal', sort: ['relay', 'FLOOR'] },
            y: { field: 'value', type: 'quantitative' },
            text: { field: 'value', type: 'quantitative' }
          }
        }
      ]
    }
  }
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return `${svg}\n`
}

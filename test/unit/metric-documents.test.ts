import { metricDocuments } from '#shared/observability.js';

/**
 * An invocation's counts written as CloudWatch embedded-metric documents: as few lines as hold them,
 * each count under its own dimensions, so CloudWatch makes the same metrics of them as it would of
 * one line per count.
 */
const context = { namespace: 'Nudge', service: 'measurement', at: 1_795_970_654_637 };

/** What CloudWatch reads from a document: each directive's metrics with their dimension values. */
function metricsIn(document: Record<string, unknown>): { name: string; dimensions: Record<string, unknown>; value: unknown }[] {
  const { CloudWatchMetrics } = (document as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } })
    ._aws;
  return CloudWatchMetrics.flatMap((directive) =>
    directive.Metrics.flatMap((metric) =>
      directive.Dimensions.map((set) => ({
        name: metric.Name,
        dimensions: Object.fromEntries(set.map((key) => [key, document[key]])),
        value: document[metric.Name],
      })),
    ),
  );
}

describe('an invocation’s counts as embedded-metric lines', () => {
  it('writes counts with different dimensions in one line, each with its own', () => {
    const documents = metricDocuments(
      [
        { metric: 'EventsIn', dimensions: { DetailType: 'message.sent' }, value: 1 },
        { metric: 'FactsCounted', dimensions: { Outcome: 'counted' }, value: 1 },
      ],
      context,
    );
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ _aws: { Timestamp: context.at }, service: 'measurement' });
    expect(metricsIn(documents[0] as Record<string, unknown>)).toEqual([
      { name: 'EventsIn', dimensions: { service: 'measurement', DetailType: 'message.sent' }, value: 1 },
      { name: 'FactsCounted', dimensions: { service: 'measurement', Outcome: 'counted' }, value: 1 },
    ]);
  });

  it('starts a line when a dimension would need two values in one, or a metric would be there twice', () => {
    const documents = metricDocuments(
      [
        { metric: 'RuleDecisions', dimensions: { Decision: 'fired', RuleId: 'a' }, value: 2 },
        { metric: 'RuleDecisions', dimensions: { Decision: 'cooldown', RuleId: 'a' }, value: 1 },
        { metric: 'Sends', dimensions: { Decision: 'fired' }, value: 1 },
        { metric: 'EventsIn', dimensions: { DetailType: 'timer.fired' }, value: 3 },
      ],
      context,
    );
    const read = documents.map((document) => metricsIn(document as Record<string, unknown>));
    expect(read).toEqual([
      [
        { name: 'RuleDecisions', dimensions: { service: 'measurement', Decision: 'fired', RuleId: 'a' }, value: 2 },
        { name: 'Sends', dimensions: { service: 'measurement', Decision: 'fired' }, value: 1 },
        { name: 'EventsIn', dimensions: { service: 'measurement', DetailType: 'timer.fired' }, value: 3 },
      ],
      [{ name: 'RuleDecisions', dimensions: { service: 'measurement', Decision: 'cooldown', RuleId: 'a' }, value: 1 }],
    ]);
  });

  it('never lets a metric’s name stand for a dimension, or a dimension’s for a metric', () => {
    const documents = metricDocuments(
      [
        { metric: 'Outcome', dimensions: {}, value: 1 },
        { metric: 'Sends', dimensions: { Outcome: 'sent' }, value: 1 },
      ],
      context,
    );
    expect(documents).toHaveLength(2);
  });

  it('writes nothing for no counts', () => {
    expect(metricDocuments([], context)).toEqual([]);
  });
});

namespace FlowState;

/// <summary>
/// The <see cref="System.Diagnostics.Metrics.Meter"/> <c>FlowState</c>: made by <see cref="StateStoreOptions.MeterFactory"/>
/// (a host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>, which <c>AddFlowState</c> passes on) or, without
/// one, a process-wide meter of the same name; flow runners and stream pipelines record on their store's meter. Every
/// store instrument carries the tag <c>flowstate.store</c> (<see cref="StateStoreOptions.Name"/>); flow instruments
/// carry <c>flowstate.flow</c> and stream instruments <c>flowstate.pipeline</c> instead. Durations are in seconds.
/// </summary>
/// <remarks>
/// Instruments: <c>flowstate.entries</c> and <c>flowstate.bytes</c> (gauges); <c>flowstate.reads</c> (counter, tag
/// <c>flowstate.result</c> = <c>hit</c>|<c>miss</c>), <c>flowstate.evictions</c>, <c>flowstate.expirations</c>
/// (observable counters, read from the store's statistics, so reads pay nothing for them);
/// <c>flowstate.read.duration</c> (histogram, s, recorded only while something listens; tag
/// <c>flowstate.read.source</c> = <c>memory</c>|<c>backend</c>); <c>flowstate.writes</c> (counter of written
/// operations) and <c>flowstate.write.duration</c> (histogram, s, from the call to its acknowledgement at the store's
/// durability level); <c>flowstate.commit.group_size</c> (histogram of commits per backend transaction),
/// <c>flowstate.commit.duration</c> (histogram, s, of one backend transaction) and <c>flowstate.commit.pending</c>
/// (gauge of commits waiting for the backend); <c>flowstate.flow.steps</c> (counter, tag <c>flowstate.outcome</c> =
/// <c>committed</c>|<c>failed</c>) and <c>flowstate.flow.step.duration</c> (histogram, s);
/// <c>flowstate.checkpoint.duration</c> (histogram, s) and <c>flowstate.checkpoint.size</c> (histogram, bytes), tag
/// <c>flowstate.checkpoint.kind</c> = <c>full</c>|<c>incremental</c>; <c>flowstate.stream.messages</c> (counter of
/// messages read by a pipeline's sources); <c>flowstate.resident.entries</c> (gauge), <c>flowstate.page_outs</c> and
/// <c>flowstate.page_ins</c> (observable counters) of a bounded store with a backend.
/// </remarks>
public static class FlowStateMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FlowState";
}

using FlowState.Streaming;

namespace FlowState.Nats;

/// <summary>Adds NATS JetStream's kinds of pipeline components to a <see cref="StreamComponentCatalog"/>.</summary>
public static class NatsStreamComponentCatalogExtensions
{
    /// <summary>
    /// Sources of <c>type: nats</c> (<see cref="NatsJetStreamSource"/>) with <c>url</c> and <c>stream</c> (both
    /// required), <c>filter_subject</c>, <c>key_header</c>, <c>stop_at_end</c>, <c>durable_consumer</c> (read through
    /// that durable consumer, acknowledging what completed checkpoints hold), <c>ack_wait_seconds</c>; and sinks of <c>type: nats</c>
    /// (<see cref="NatsJetStreamSink"/>, exactly-once; with <c>exactly_once: false</c> the cheaper at-least-once
    /// <see cref="NatsJetStreamPublishSink"/>) with <c>url</c> and <c>subject</c> (both required), <c>key_header</c>,
    /// <c>exactly_once</c>, <c>staging_stream</c>, <c>staging_subject_prefix</c>.
    /// </summary>
    public static StreamComponentCatalog AddNatsJetStream(this StreamComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.AddSource("nats", ["url", "stream", "filter_subject", "key_header", "stop_at_end", "durable_consumer", "ack_wait_seconds"], (settings, name) =>
        {
            var url = settings.Text("url", required: true)!;
            var stream = settings.Text("stream", required: true)!;
            var filter = settings.Text("filter_subject");
            var keyHeader = settings.Text("key_header") ?? NatsJetStreamSink.DefaultKeyHeader;
            var stopAtEnd = settings.Flag("stop_at_end") ?? false;
            var durable = settings.Text("durable_consumer");
            if (durable is not null && !NatsNames.IsValid(durable))
            {
                throw settings.Error(NatsNames.Problem(durable, "durable consumer"), "durable_consumer");
            }

            var ackWait = settings.WholeNumber("ack_wait_seconds", 1, 86_400) is { } seconds ? TimeSpan.FromSeconds(seconds) : NatsJetStreamSource.DefaultAckWait;
            return () => new NatsJetStreamSource(name, url, stream) { FilterSubject = filter, KeyHeader = keyHeader, StopAtEnd = stopAtEnd, DurableConsumer = durable, AckWait = ackWait };
        });
        return catalog.AddSink("nats", ["url", "subject", "key_header", "exactly_once", "staging_stream", "staging_subject_prefix"], (settings, name) =>
        {
            var url = settings.Text("url", required: true)!;
            var subject = settings.Text("subject", required: true)!;
            var keyHeader = settings.Text("key_header") ?? NatsJetStreamSink.DefaultKeyHeader;
            var exactlyOnce = settings.Flag("exactly_once") ?? true;
            var stagingStream = settings.Text("staging_stream") ?? "FLOWSTATE_STAGING";
            var stagingPrefix = settings.Text("staging_subject_prefix") ?? "flowstate.staging";
            if (JetStreamPublisher.SubjectProblem(subject) is { } problem)
            {
                throw settings.Error(problem, "subject");
            }

            return exactlyOnce
                ? () => new NatsJetStreamSink(name, url, subject) { KeyHeader = keyHeader, StagingStream = stagingStream, StagingSubjectPrefix = stagingPrefix }
                : () => new NatsJetStreamPublishSink(name, url, subject) { KeyHeader = keyHeader };
        });
    }
}

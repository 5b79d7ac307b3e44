using NATS.Client.JetStream;

namespace FlowState.Nats;

/// <summary>A durable consumer a reader went through is no longer its alone: deleted, made again, or read by another client.</summary>
internal sealed class JetStreamConsumerTakenException : NatsJSException
{
    public JetStreamConsumerTakenException(string message)
        : base(message)
    {
    }

    public JetStreamConsumerTakenException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

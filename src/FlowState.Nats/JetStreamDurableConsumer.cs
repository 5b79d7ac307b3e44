namespace FlowState.Nats;

/// <summary>A durable consumer a reader goes through: its name, and how long JetStream waits for an acknowledgement before it delivers a message again.</summary>
internal sealed record JetStreamDurableConsumer(string Name, TimeSpan AckWait);

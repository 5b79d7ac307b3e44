namespace FlowState.Docs.Tests.Examples;

/// <summary>The flow guide's external service: writes a text about a topic (here a fixed sentence).</summary>
public sealed class Llm
{
    /// <summary>Writes about <paramref name="topic"/>; <paramref name="idempotencyKey"/> lets the service answer a retry once.</summary>
    public Task<string> WriteAsync(string topic, string idempotencyKey) => Task.FromResult($"A few words about {topic} ({idempotencyKey}).");
}

namespace FlowState.Docs.Tests.Examples;

/// <summary>The order the store guide stores and reads.</summary>
public sealed record Order(string Id, decimal Total);

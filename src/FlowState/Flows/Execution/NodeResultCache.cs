using System.Security.Cryptography;
using System.Text.Json;

namespace FlowState.Flows;

/// <summary>Exec results cached by node and prep input (<see cref="Node{TPrep, TExec}.CacheFor"/>), in the global scope <c>custom:flow-cache:</c>.</summary>
internal static class NodeResultCache
{
    public static readonly StateScope Scope = StateScope.Custom("flow-cache");

    /// <summary><c>{node}:{SHA-256 of prep's JSON}</c>.</summary>
    /// <exception cref="FlowException">Prep's result does not serialize to JSON.</exception>
    public static string KeyOf<TPrep>(string node, TPrep prep, StepInvocation step)
    {
        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(prep, step.Run.Store.SerializerOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new FlowException(
                $"Node '{node}' caches its results (CacheFor), so what its prep returns must serialize to JSON, and {typeof(TPrep).Name} does not: {ex.Message}",
                step.Run.RunId,
                node,
                ex);
        }

        return $"{node}:{Convert.ToHexStringLower(SHA256.HashData(json))}";
    }

    public static async ValueTask<(bool Found, TExec Result)> TryGetAsync<TExec>(string key, StepInvocation step)
    {
        var entry = await step.Run.Store.For(Scope).GetEntryAsync(key, step.CancellationToken).ConfigureAwait(false);
        return entry is null ? (false, default!) : (true, entry.Deserialize<TExec>(step.Run.Store.SerializerOptions)!);
    }

    /// <summary>Stages the result with the step's commit, so that only a committed step's result is cached.</summary>
    public static async ValueTask StageAsync<TExec>(PostContext post, string key, TExec result, TimeSpan timeToLive, StepInvocation step) =>
        await new StagedStateStore(post.Writes, Scope).SetAsync(key, result, StateWriteOptions.WithTimeToLive(timeToLive), step.CancellationToken).ConfigureAwait(false);
}

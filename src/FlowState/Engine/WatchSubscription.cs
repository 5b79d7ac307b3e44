using System.Threading.Channels;

namespace FlowState;

/// <summary>A watcher of one scope subtree, fed under the write lock so that it sees changes in version order.</summary>
internal sealed class WatchSubscription(ScopeNode node, string? prefix, int capacity)
{
    public ScopeNode Node { get; } = node;

    public string? Prefix { get; } = prefix;

    public Channel<StateChange> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<StateChange>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public bool Matches(string key) => Prefix is null || key.StartsWith(Prefix, StringComparison.Ordinal);
}

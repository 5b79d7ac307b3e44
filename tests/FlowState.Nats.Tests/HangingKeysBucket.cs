using System.Reflection;
using System.Runtime.CompilerServices;
using NATS.Client.KeyValueStore;

namespace FlowState.Nats.Tests;

/// <summary>
/// A key-value bucket that forwards every call to a real one, except that its first listing of keys never returns
/// until it is cancelled — as NATS.Net's key listings have hung over buckets whose last operations were deletes.
/// </summary>
public class HangingKeysBucket : DispatchProxy
{
    private INatsKVStore _bucket = null!;
    private int _listings;

    /// <summary>How many listings of keys were started.</summary>
    public int Listings => Volatile.Read(ref _listings);

    /// <summary>Wraps <paramref name="bucket"/>; <paramref name="proxy"/> is the wrapper's own view of itself.</summary>
    public static INatsKVStore Wrap(INatsKVStore bucket, out HangingKeysBucket proxy)
    {
        var store = Create<INatsKVStore, HangingKeysBucket>();
        proxy = (HangingKeysBucket)(object)store;
        proxy._bucket = bucket;
        return store;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(INatsKVStore.GetKeysAsync) && Interlocked.Increment(ref _listings) == 1)
        {
            return HangAsync(args?.OfType<CancellationToken>().LastOrDefault() ?? default);
        }

        try
        {
            return targetMethod.Invoke(_bucket, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private static async IAsyncEnumerable<string> HangAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        yield break;
    }
}

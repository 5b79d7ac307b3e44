using System.Collections.Concurrent;

namespace OrderWorker;

/// <summary>
/// A shipping carrier's booking service that times out on the first call for each order (as remote services do), so
/// that the flow's Polly retry has something to do. Booking is idempotent on the key the flow passes.
/// </summary>
internal sealed class FlakyCarrier
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public int Calls => _calls.Values.Sum();

    public ValueTask<string> BookAsync(Order order, string idempotencyKey)
    {
        var call = _calls.AddOrUpdate(idempotencyKey, 1, (_, calls) => calls + 1);
        return call == 1
            ? throw new TimeoutException($"the carrier did not answer for {order.Id}")
            : ValueTask.FromResult($"TRK-{order.Id.ToUpperInvariant()}-{order.Customer.Length}");
    }
}

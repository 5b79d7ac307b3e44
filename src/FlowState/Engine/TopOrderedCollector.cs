using System.Runtime.CompilerServices;

namespace FlowState;

/// <summary>
/// Keeps the first <c>count</c> items in an order of those it is given one at a time, in a max-heap of that size
/// (its root is the worst kept so far), so that each further item costs one comparison, or log(count) when it is kept.
/// </summary>
internal sealed class TopOrderedCollector<T>(long count, Comparer<T> order)
{
    private readonly PriorityQueue<T, T> _kept = new((int)Math.Clamp(count, 0, 1024), Comparer<T>.Create((a, b) => order.Compare(b, a)));

    // Fully optimized from the first call: it runs once per item of whole listings, too rarely to be tiered up soon.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(T item)
    {
        if (_kept.Count < count)
        {
            _kept.Enqueue(item, item);
        }
        else if (count > 0 && order.Compare(item, _kept.Peek()) < 0)
        {
            _kept.EnqueueDequeue(item, item);
        }
    }

    /// <summary>The items kept, first first.</summary>
    public List<T> Result()
    {
        var top = new List<T>(_kept.Count);
        while (_kept.TryDequeue(out var item, out _))
        {
            top.Add(item);
        }

        top.Reverse();
        return top;
    }
}

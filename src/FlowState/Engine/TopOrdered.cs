namespace FlowState;

/// <summary>The first items of a collection in an order, without sorting the rest: what a first page of a large listing needs.</summary>
internal static class TopOrdered
{
    /// <summary>The first <paramref name="count"/> of <paramref name="items"/> in <paramref name="order"/>, found with a heap of that size.</summary>
    public static List<T> Take<T>(IReadOnlyCollection<T> items, long count, Comparer<T> order)
    {
        if (count <= 0)
        {
            return [];
        }

        if (count >= items.Count)
        {
            return [.. items.Order(order)];
        }

        // A max-heap of the best so far (its root is the worst of them), so that each further item costs log(count).
        var kept = new PriorityQueue<T, T>((int)count, Comparer<T>.Create((a, b) => order.Compare(b, a)));
        foreach (var item in items)
        {
            if (kept.Count < count)
            {
                kept.Enqueue(item, item);
            }
            else if (order.Compare(item, kept.Peek()) < 0)
            {
                kept.EnqueueDequeue(item, item);
            }
        }

        var top = new List<T>(kept.Count);
        while (kept.TryDequeue(out var item, out _))
        {
            top.Add(item);
        }

        top.Reverse();
        return top;
    }
}

namespace FlowState;

/// <summary>The first items of a collection in an order, without sorting the rest: what a first page of a large listing needs.</summary>
internal static class TopOrdered
{
    /// <summary>The first <paramref name="count"/> of <paramref name="items"/> in <paramref name="order"/>, found with a heap of that size.</summary>
    public static List<T> Take<T>(IEnumerable<T> items, long count, Comparer<T> order)
    {
        if (count <= 0)
        {
            return [];
        }

        if (items is IReadOnlyCollection<T> collection && count >= collection.Count)
        {
            return [.. collection.Order(order)];
        }

        var kept = new TopOrderedCollector<T>(count, order);
        foreach (var item in items)
        {
            kept.Add(item);
        }

        return kept.Result();
    }
}

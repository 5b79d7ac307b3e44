namespace FlowState.Tests;

/// <summary>The first items in an order, from a heap: the same as sorting everything and taking them.</summary>
public sealed class TopOrderedTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(99)]
    [InlineData(100)]
    [InlineData(500)]
    public void The_first_items_equal_those_of_a_full_sort(int count)
    {
        var random = new Random(42);
        var items = Enumerable.Range(0, 100).Select(_ => (Score: random.Next(20), Name: $"n{random.Next(1000):D4}")).ToList();
        var order = Comparer<(int Score, string Name)>.Create((a, b) => b.Score.CompareTo(a.Score) is var byScore and not 0 ? byScore : string.CompareOrdinal(a.Name, b.Name));

        var top = TopOrdered.Take(items, count, order);

        Assert.Equal(items.Order(order).Take(count), top);
    }
}

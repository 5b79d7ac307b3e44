using System.Text;
using FlowState.Flows;

namespace FlowState.Tests.Flows;

public sealed class FlowKeyChangeTests
{
    [Fact]
    public void A_change_of_stored_values_carries_them_as_text_with_their_sizes()
    {
        var change = FlowKeyChange.FromUtf8("workflow:run", "n", Utf8("5"), Utf8("\"six\""), valueLimit: 100);

        Assert.Equal(new FlowKeyChange("workflow:run", "n", "5", "\"six\"", 1, 5), change);
    }

    [Fact]
    public void Absent_deleted_and_oversized_values_are_null_with_their_sizes()
    {
        var created = FlowKeyChange.FromUtf8("global", "k", null, Utf8("\"0123456789\""), valueLimit: 5);
        Assert.Equal((null, null, 0, 12), (created.OldValue, created.NewValue, created.OldSize, created.NewSize));
        Assert.False(created.Deleted);

        var deleted = FlowKeyChange.FromUtf8("global", "k", Utf8("1"), null, valueLimit: 5);
        Assert.Equal(("1", null, 1, 0), (deleted.OldValue, deleted.NewValue, deleted.OldSize, deleted.NewSize));
        Assert.True(deleted.Deleted);
    }

    private static ReadOnlyMemory<byte> Utf8(string json) => Encoding.UTF8.GetBytes(json);
}

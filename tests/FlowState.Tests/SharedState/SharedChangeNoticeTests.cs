using System.Text;

namespace FlowState.Tests.SharedState;

public sealed class SharedChangeNoticeTests
{
    [Fact]
    public void The_plain_form_carries_the_new_value_and_no_previous_state()
    {
        var notice = SharedChangeNotice.Parse("7\ns\nw/run/\ncount\n{\"n\":1}\n");

        Assert.Equal(("w/run/", "count", false, 7L), (notice!.ScopeKey, notice.Key, notice.Deleted, notice.Version));
        Assert.Equal("{\"n\":1}\n", Encoding.UTF8.GetString(notice.Value!));
        Assert.Null(notice.PreviousVersion);
        Assert.Null(notice.PreviousValue);
    }

    [Fact]
    public void Previous_values_are_cut_off_the_last_line_by_their_length_in_utf8_bytes()
    {
        var before = "\"héllo\n\"";
        var set = SharedChangeNotice.Parse($"9\ns 8 {Encoding.UTF8.GetByteCount(before)}\n\nk\n{before}\"wörld\"");
        var created = SharedChangeNotice.Parse("10\ns 0 -1\n\nnew\n1");
        var deleted = SharedChangeNotice.Parse("11\nd 9 8\n\nk\n\"wörld\""); // ö is two bytes
        var leftOut = SharedChangeNotice.Parse("12\nS 11 -1\n\nbig\n");

        Assert.Equal((8L, before, "\"wörld\""), (set!.PreviousVersion, Encoding.UTF8.GetString(set.PreviousValue!), Encoding.UTF8.GetString(set.Value!)));
        Assert.Equal((0L, null, "1"), (created!.PreviousVersion, created.PreviousValue, Encoding.UTF8.GetString(created.Value!)));
        Assert.Equal((true, 9L, "\"wörld\"", null), (deleted!.Deleted, deleted.PreviousVersion, Encoding.UTF8.GetString(deleted.PreviousValue!), deleted.Value));
        Assert.Equal((11L, null, null), (leftOut!.PreviousVersion, leftOut.PreviousValue, leftOut.Value));
    }

    [Theory]
    [InlineData("9\ns 8 50\n\nk\nshort")]
    [InlineData("9\ns x 1\n\nk\nab")]
    [InlineData("9\ns 8\n\nk\nab")]
    [InlineData("9\ns\n\nk")]
    [InlineData("v\ns\n\nk\n1")]
    public void A_payload_not_of_the_form_is_no_notice(string payload) => Assert.Null(SharedChangeNotice.Parse(payload));
}

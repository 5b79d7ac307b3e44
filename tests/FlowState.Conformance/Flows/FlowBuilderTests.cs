using FlowState.Flows;
using Xunit;

namespace FlowState.Conformance;

/// <summary>Graph validation when a flow is built (no store involved).</summary>
public sealed class FlowBuilderTests
{
    private static readonly Node<bool, bool> A = Node.Create("a", (_, _) => ValueTask.FromResult<string?>(null));
    private static readonly Node<bool, bool> B = Node.Create("b", (_, _) => ValueTask.FromResult<string?>(null));

    [Fact]
    public void Two_different_nodes_with_one_name_are_refused()
    {
        var twin = Node.Create("a", (_, _) => ValueTask.FromResult<string?>(null));

        var error = Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Add(A).Add(twin));

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_action_leading_to_two_nodes_is_refused()
    {
        var error = Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Connect(A, B, "go").Connect(A, A, "go"));

        Assert.Contains("'go'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreachable_node_is_refused_by_name()
    {
        var error = Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Add(A).Add(B).Build());

        Assert.Contains("'b'", error.Message, StringComparison.Ordinal);
        Assert.Equal("f", error.FlowName);
    }

    [Fact]
    public void Empty_flow_and_unknown_node_names_are_refused()
    {
        Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Build());
        Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Add(A).Connect("a", "missing"));
        Assert.Throws<FlowDefinitionException>(() => new FlowBuilder("f").Connect(A, B, ""));
    }

    [Fact]
    public void Built_flow_exposes_its_graph()
    {
        var flow = new FlowBuilder("f").Connect(A, B, "next").Connect(B, A, "back").StartWith(B).Build();

        Assert.Same(B, flow.Start);
        Assert.Equal(new Dictionary<string, string> { ["next"] = "b" }, flow.ActionsOf("a"));
        Assert.Equal(["a", "b"], flow.Nodes.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Invalid_names_and_retry_settings_are_argument_errors()
    {
        Assert.ThrowsAny<ArgumentException>(() => Node.Create("", (_, _) => ValueTask.FromResult<string?>(null)));
        Assert.ThrowsAny<ArgumentException>(() => new FlowBuilder("bad\u0001name"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Node.Create<bool, bool>("n", null, (_, _) => default, maxRetries: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Node.Create<bool, bool>("n", null, (_, _) => default, retryBackoff: (Polly.DelayBackoffType)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => Node.Create<bool, bool>("n", null, (_, _) => default, retryDelay: TimeSpan.FromDays(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowBuilder("f").WithMaxSteps(0));
    }
}

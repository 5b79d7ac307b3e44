namespace FlowState.Tests;

/// <summary>Child scopes ordered from their kinds and names alone come in the order of their paths.</summary>
public sealed class ChildScopeOrderTests
{
    [Fact]
    public void Comparing_kinds_and_names_orders_child_scopes_as_their_paths_do()
    {
        var random = new Random(7);
        const string Alphabet = "-_.:/%~09aAzZ é";
        var kinds = new[] { ScopeSegmentKind.Workflow, ScopeSegmentKind.Custom, ScopeSegmentKind.Runtime, ScopeSegmentKind.Named };
        var scopes = new List<StateScope>();
        foreach (var name in new[] { "a", "a-b", "ab", "a:b", "a0", "workflow", "custom", "$x", "a b" }.Concat(
            Enumerable.Range(0, 300).Select(_ => new string([.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]))))
        {
            foreach (var kind in kinds)
            {
                try
                {
                    scopes.Add(StateScope.Global.ChildOfKind(kind, name));
                }
                catch (ArgumentException)
                {
                    // Not a valid scope name: not a child scope that can exist.
                }
            }
        }

        Assert.True(scopes.Count > 600, $"{scopes.Count} scopes");
        foreach (var a in scopes)
        {
            foreach (var b in scopes)
            {
                var byPath = Math.Sign(string.CompareOrdinal(a.Path, b.Path));
                var bySegments = Math.Sign(StateScope.CompareChildSegments(a.Kind, a.Name, b.Kind, b.Name));
                Assert.True(byPath == bySegments, $"'{a.Path}' vs '{b.Path}': paths {byPath}, segments {bySegments}");
            }
        }
    }
}

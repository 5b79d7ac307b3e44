using System.Runtime.CompilerServices;

namespace FlowState;

/// <summary>Child scopes of one parent (with their nodes) in the order of their paths, from their kinds and names alone.</summary>
internal sealed class ChildPathOrder : Comparer<(ScopeSegmentKind Kind, string Name, ScopeNode Node)>
{
    public static readonly ChildPathOrder Instance = new();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int Compare((ScopeSegmentKind Kind, string Name, ScopeNode Node) x, (ScopeSegmentKind Kind, string Name, ScopeNode Node) y) =>
        StateScope.CompareChildSegments(x.Kind, x.Name, y.Kind, y.Name);
}

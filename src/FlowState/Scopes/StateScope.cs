using System.Runtime.CompilerServices;
using System.Text;

namespace FlowState;

/// <summary>
/// Identifies a scope: a subtree of state. Scopes form a tree rooted at <see cref="Global"/>;
/// a scope sees its own keys and its child scopes, never its parent's or a sibling's.
/// </summary>
/// <remarks>
/// <see cref="Path"/> is the display form (<c>workflow:{id}:</c>, <c>workflow:{id}:step:{name}:</c>,
/// <c>custom:{ns}:</c>, <c>a:b:</c>). It is meant for people and may be ambiguous when ids contain
/// <c>:</c>. Identity is structural (kind and name of every segment), and <see cref="StorageKey"/> is an
/// injective encoding of it used by backends.
/// </remarks>
public sealed class StateScope : IEquatable<StateScope>
{
    private readonly int _hashCode;

    private StateScope()
    {
        Path = string.Empty;
        StorageKey = string.Empty;
        Kind = ScopeSegmentKind.Named;
        Name = string.Empty;
        _hashCode = 0;
    }

    private StateScope(StateScope parent, ScopeSegmentKind kind, string name)
    {
        Parent = parent;
        Kind = kind;
        Name = name;
        Depth = parent.Depth + 1;
        Path = parent.Path + DisplaySegment(kind, name);
        StorageKey = parent.StorageKey + EncodeSegment(kind, name);
        _hashCode = HashCode.Combine(parent._hashCode, kind, StringComparer.Ordinal.GetHashCode(name));
    }

    /// <summary>The root scope. Its display prefix is empty.</summary>
    public static StateScope Global { get; } = new();

    /// <summary>The enclosing scope, or null for <see cref="Global"/>.</summary>
    public StateScope? Parent { get; }

    /// <summary>The kind of the last segment (meaningless for <see cref="Global"/>).</summary>
    public ScopeSegmentKind Kind { get; }

    /// <summary>The name or id of the last segment (empty for <see cref="Global"/>).</summary>
    public string Name { get; }

    /// <summary>Number of segments; 0 for <see cref="Global"/>.</summary>
    public int Depth { get; }

    /// <summary>True for the root scope.</summary>
    public bool IsGlobal => Parent is null;

    /// <summary>The display form, e.g. <c>workflow:run_1:step:fetch:</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// An injective string encoding of the scope: two different scopes never share it, and no scope's
    /// encoding is a prefix of another's unless that other scope is inside it. Each segment is a kind letter,
    /// the name with <c>%</c>, <c>:</c> and <c>/</c> percent-escaped, and a terminating <c>/</c>.
    /// </summary>
    public string StorageKey { get; }

    /// <summary>The scope of a workflow run: <c>workflow:{id}:</c>.</summary>
    /// <exception cref="ArgumentException">The id is empty, too long or not well-formed.</exception>
    public static StateScope Workflow(string id)
    {
        StateNameValidator.ValidateScopeName(id, nameof(id));
        return new StateScope(Global, ScopeSegmentKind.Workflow, id);
    }

    /// <summary>The private scope of one step of a workflow run: <c>workflow:{id}:step:{name}:</c>.</summary>
    /// <exception cref="ArgumentException">The id or step name is empty, too long or not well-formed.</exception>
    public static StateScope Step(string workflowId, string stepName)
    {
        StateNameValidator.ValidateScopeName(stepName, nameof(stepName));
        return new StateScope(Workflow(workflowId), ScopeSegmentKind.Step, stepName);
    }

    /// <summary>A custom namespace: <c>custom:{ns}:</c>.</summary>
    /// <exception cref="ArgumentException">The namespace is empty, too long or not well-formed.</exception>
    public static StateScope Custom(string ns)
    {
        StateNameValidator.ValidateScopeName(ns, nameof(ns));
        return new StateScope(Global, ScopeSegmentKind.Custom, ns);
    }

    /// <summary>A nested scope inside this one: <c>{this}{name}:</c>.</summary>
    /// <exception cref="ArgumentException">The name is empty, too long or not well-formed.</exception>
    public StateScope Child(string name)
    {
        StateNameValidator.ValidateScopeName(name, nameof(name));
        return new StateScope(this, ScopeSegmentKind.Named, name);
    }

    /// <summary>The step scope of a step inside this workflow scope.</summary>
    /// <exception cref="ArgumentException">The step name is empty, too long or not well-formed.</exception>
    public StateScope ChildStep(string stepName)
    {
        StateNameValidator.ValidateScopeName(stepName, nameof(stepName));
        return new StateScope(this, ScopeSegmentKind.Step, stepName);
    }

    /// <summary>A child segment of any kind (a validated name).</summary>
    internal StateScope ChildOfKind(ScopeSegmentKind kind, string name)
    {
        StateNameValidator.ValidateScopeName(name, nameof(name));
        return new StateScope(this, kind, name);
    }

    /// <summary>True when <paramref name="other"/> is this scope or inside it.</summary>
    public bool Contains(StateScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var s = other; s is not null; s = s.Parent)
        {
            if (s.Depth == Depth)
            {
                return s.Equals(this);
            }

            if (s.Depth < Depth)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Parses a scope's display form (<see cref="Path"/>): empty or <c>global</c> is the global scope;
    /// <c>workflow:{id}:</c>, <c>workflow:{id}:step:{name}:</c>, <c>custom:{ns}:</c> and nested <c>a:b:</c> as
    /// <see cref="Path"/> writes them (the trailing colon is optional). Names that contain <c>:</c>, nested scopes named
    /// <c>workflow</c>, <c>step</c> or <c>custom</c>, and the runtimes' own scopes cannot be written this way; use
    /// <see cref="FromStorageKey"/> for those.
    /// </summary>
    /// <exception cref="FormatException">The text is not a scope, with the reason.</exception>
    public static StateScope Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path is "" or "global" or ":")
        {
            return Global;
        }

        var parts = (path.EndsWith(':') ? path[..^1] : path).Split(':');
        var scope = Global;
        try
        {
            for (var i = 0; i < parts.Length; i++)
            {
                var part = parts[i];
                switch (part)
                {
                    case "workflow" when scope.IsGlobal && i + 1 < parts.Length:
                        scope = Workflow(parts[++i]);
                        break;
                    case "step" when scope.Kind == ScopeSegmentKind.Workflow && i + 1 < parts.Length:
                        scope = scope.ChildStep(parts[++i]);
                        break;
                    case "custom" when scope.IsGlobal && i + 1 < parts.Length:
                        scope = Custom(parts[++i]);
                        break;
                    case "workflow" or "step" or "custom":
                        throw new FormatException($"'{path}' is not a scope: '{part}' must be followed by a name ({part}:<name>:)");
                    default:
                        scope = scope.Child(part);
                        break;
                }
            }
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"'{path}' is not a scope: {ex.Message}", ex);
        }

        return scope;
    }

    /// <summary>Parses a <see cref="StorageKey"/> back into a scope.</summary>
    /// <exception cref="FormatException">The text is not a storage key.</exception>
    public static StateScope FromStorageKey(string storageKey)
    {
        ArgumentNullException.ThrowIfNull(storageKey);
        var scope = Global;
        var i = 0;
        while (i < storageKey.Length)
        {
            var end = storageKey.IndexOf('/', i);
            if (end < 0 || end == i + 1)
            {
                throw new FormatException($"'{storageKey}' is not a scope storage key: segment at {i} is not terminated.");
            }

            var kind = storageKey[i] switch
            {
                'w' => ScopeSegmentKind.Workflow,
                's' => ScopeSegmentKind.Step,
                'c' => ScopeSegmentKind.Custom,
                'n' => ScopeSegmentKind.Named,
                'r' => ScopeSegmentKind.Runtime,
                _ => throw new FormatException($"'{storageKey}' is not a scope storage key: unknown segment kind '{storageKey[i]}'."),
            };
            var name = Uri.UnescapeDataString(storageKey[(i + 1)..end]);
            var problem = StateNameValidator.FindProblem(name, "scope name");
            if (problem is not null)
            {
                throw new FormatException($"'{storageKey}' is not a scope storage key: {problem}");
            }

            scope = new StateScope(scope, kind, name);
            i = end + 1;
        }

        return scope;
    }

    /// <inheritdoc />
    public bool Equals(StateScope? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._hashCode != _hashCode || other.Depth != Depth)
        {
            return false;
        }

        for (StateScope? a = this, b = other; a is not null && b is not null; a = a.Parent, b = b.Parent)
        {
            if (ReferenceEquals(a, b))
            {
                return true;
            }

            if (a.Kind != b.Kind || !string.Equals(a.Name, b.Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as StateScope);

    /// <inheritdoc />
    public override int GetHashCode() => _hashCode;

    /// <summary>The display form, e.g. <c>workflow:run_1:</c>; <c>(global)</c> for the root.</summary>
    public override string ToString() => IsGlobal ? "(global)" : Path;

    /// <summary>Structural equality.</summary>
    public static bool operator ==(StateScope? left, StateScope? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Structural inequality.</summary>
    public static bool operator !=(StateScope? left, StateScope? right) => !(left == right);

    /// <summary>
    /// Orders two child scopes of one parent as their <see cref="Path"/>s order (ordinal), from their kinds and names
    /// alone: listing a parent's children in path order then reads no scope object.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int CompareChildSegments(ScopeSegmentKind kindA, string nameA, ScopeSegmentKind kindB, string nameB)
    {
        if (kindA == kindB)
        {
            var common = Math.Min(nameA.Length, nameB.Length);
            var byName = nameA.AsSpan(0, common).SequenceCompareTo(nameB.AsSpan(0, common));
            if (byName != 0 || nameA.Length == nameB.Length)
            {
                return byName;
            }

            // One name starts the other: its segment's closing ':' meets the longer name's next character, and when
            // that is a ':' too, the shorter segment is a prefix of the longer one's and comes first.
            return nameA.Length > nameB.Length
                ? nameA[common].CompareTo(':') is var after and not 0 ? after : 1
                : ':'.CompareTo(nameB[common]) is var before and not 0 ? before : -1;
        }

        var prefixA = DisplayPrefix(kindA);
        var prefixB = DisplayPrefix(kindB);
        var lengthA = prefixA.Length + nameA.Length + 1;
        var lengthB = prefixB.Length + nameB.Length + 1;
        for (var i = 0; i < Math.Min(lengthA, lengthB); i++)
        {
            var byChar = SegmentChar(prefixA, nameA, i).CompareTo(SegmentChar(prefixB, nameB, i));
            if (byChar != 0)
            {
                return byChar;
            }
        }

        return lengthA.CompareTo(lengthB);

        static char SegmentChar(string prefix, string name, int i) =>
            i < prefix.Length ? prefix[i] : i - prefix.Length < name.Length ? name[i - prefix.Length] : ':';
    }

    private static string DisplayPrefix(ScopeSegmentKind kind) => kind switch
    {
        ScopeSegmentKind.Workflow => "workflow:",
        ScopeSegmentKind.Step => "step:",
        ScopeSegmentKind.Custom => "custom:",
        ScopeSegmentKind.Runtime => "$",
        _ => string.Empty,
    };

    private static string DisplaySegment(ScopeSegmentKind kind, string name) => DisplayPrefix(kind) + name + ":";

    private static string EncodeSegment(ScopeSegmentKind kind, string name)
    {
        var builder = new StringBuilder(name.Length + 2);
        builder.Append(kind switch
        {
            ScopeSegmentKind.Workflow => 'w',
            ScopeSegmentKind.Step => 's',
            ScopeSegmentKind.Custom => 'c',
            ScopeSegmentKind.Runtime => 'r',
            _ => 'n',
        });
        foreach (var c in name)
        {
            switch (c)
            {
                case '%':
                    builder.Append("%25");
                    break;
                case '/':
                    builder.Append("%2F");
                    break;
                case ':':
                    builder.Append("%3A");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.Append('/').ToString();
    }
}

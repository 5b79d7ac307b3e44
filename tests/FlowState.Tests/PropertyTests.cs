using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace FlowState.Tests;

/// <summary>Randomized properties of key rules, scope encoding and merge patches (CsCheck, with shrinking).</summary>
public sealed class PropertyTests
{
    private const string Tricky = "ab:%/\\*.-_ é\u200B\u0301\u00E9\uFEFF\uD83D\uDE00\uD800\uDC00\0\t\u007F\u0085";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Gen<string> TrickyString = Gen.String[Gen.Char[Tricky], 0, 8];

    private static readonly Gen<string> ValidName = Gen.String[Gen.Char["ab:%/\\*.-_ é\u200B\u0301\uFEFF"], 1, 6];

    [Fact]
    public void Key_rules_match_an_independent_oracle()
    {
        TrickyString.Sample(key =>
        {
            var valid = StateNameValidator.FindProblem(key, "key") is null;
            Assert.Equal(Oracle(key), valid);
        });
    }

    [Fact]
    public void Scope_storage_keys_are_injective_round_trip_and_prefix_exactly_when_contained()
    {
        var segment = Gen.Select(Gen.Int[0, 3], ValidName);
        var scope = segment.List[0, 4].Select(Build);

        Gen.Select(scope, scope).Sample(pair =>
        {
            var (a, b) = pair;
            Assert.Equal(a, StateScope.FromStorageKey(a.StorageKey));
            Assert.Equal(a.Equals(b), string.Equals(a.StorageKey, b.StorageKey, StringComparison.Ordinal));
            Assert.Equal(a.Contains(b), b.StorageKey.StartsWith(a.StorageKey, StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Parse_reads_back_every_scope_path_that_can_be_written()
    {
        var segment = Gen.Select(Gen.Int[0, 3], ValidName);
        var scope = segment.List[0, 4].Select(Build);

        scope.Sample(a =>
        {
            if (Writable(a))
            {
                Assert.Equal(a, StateScope.Parse(a.Path));
            }
        });
    }

    [Theory]
    [InlineData("workflow:")]
    [InlineData("custom")]
    [InlineData("a::b")]
    [InlineData("workflow:r1:step:")]
    public void Parse_refuses_text_that_is_no_scope(string text)
    {
        Assert.Throws<FormatException>(() => StateScope.Parse(text));
    }

    // A path reads back unless a name holds ':', a nested scope is named like a segment kind, or a step is not in a workflow.
    private static bool Writable(StateScope scope)
    {
        for (var s = scope; !s.IsGlobal; s = s.Parent!)
        {
            if (s.Name.Contains(':', StringComparison.Ordinal)
                || (s.Kind == ScopeSegmentKind.Named && s.Name is "workflow" or "step" or "custom")
                || (s.Kind == ScopeSegmentKind.Step && s.Parent!.Kind != ScopeSegmentKind.Workflow))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Merge_patch_is_idempotent_and_removes_what_it_nulls()
    {
        var json = Json(3);
        Gen.Select(json, json.Where(p => p is JsonObject)).Sample(pair =>
        {
            var (target, patch) = pair;
            var once = JsonMergePatch.Apply(Encoding.UTF8.GetBytes(target?.ToJsonString() ?? "null"), Encoding.UTF8.GetBytes(patch!.ToJsonString()));
            var twice = JsonMergePatch.Apply(once, Encoding.UTF8.GetBytes(patch.ToJsonString()));
            Assert.Equal(Encoding.UTF8.GetString(once), Encoding.UTF8.GetString(twice));

            var result = JsonNode.Parse(once) as JsonObject;
            Assert.NotNull(result);
            foreach (var (name, value) in patch.AsObject())
            {
                Assert.Equal(value is not null, result.ContainsKey(name));
            }
        });
    }

    private static bool Oracle(string key)
    {
        if (key.Length == 0 || key.Any(char.IsControl))
        {
            return false;
        }

        try
        {
            return StrictUtf8.GetByteCount(key) <= 1024;
        }
        catch (ArgumentException)
        {
            return false; // lone surrogate
        }
    }

    private static StateScope Build(List<(int Kind, string Name)> segments)
    {
        var scope = StateScope.Global;
        foreach (var (kind, name) in segments)
        {
            scope = kind switch
            {
                0 when scope.IsGlobal => StateScope.Workflow(name),
                1 when scope.IsGlobal => StateScope.Custom(name),
                2 => scope.ChildStep(name),
                _ => scope.Child(name),
            };
        }

        return scope;
    }

    private static Gen<JsonNode?> Json(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Int[0, 9].Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Const(0).Select(_ => (JsonNode?)null),
            Gen.String[Gen.Char["xy"], 0, 2].Select(s => (JsonNode?)JsonValue.Create(s)));
        if (depth == 0)
        {
            return scalar;
        }

        var member = Gen.Select(Gen.Char["abc"], Json(depth - 1));
        var obj = member.List[0, 3].Select(members =>
        {
            var o = new JsonObject();
            foreach (var (name, value) in members)
            {
                o[name.ToString()] = value?.DeepClone();
            }

            return (JsonNode?)o;
        });
        return Gen.Frequency((2, scalar), (3, obj));
    }
}

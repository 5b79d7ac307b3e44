using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>A page asked for by <c>offset</c> and <c>limit</c>, checked against the configured bounds.</summary>
internal readonly record struct InspectorPaging(int Offset, int Limit)
{
    public static bool TryParse(int? offset, int? limit, FlowStateInspectorOptions options, out InspectorPaging paging, out IResult? error)
    {
        paging = new InspectorPaging(offset ?? 0, limit ?? options.DefaultPageSize);
        error = paging.Offset < 0
            ? InspectorErrors.BadRequest("bad_paging", $"offset must be 0 or more, not {paging.Offset}.")
            : paging.Limit < 1 || paging.Limit > options.MaxPageSize
                ? InspectorErrors.BadRequest("bad_paging", $"limit must be between 1 and {options.MaxPageSize}, not {paging.Limit}.")
                : null;
        return error is null;
    }

    /// <summary>
    /// This page of <paramref name="items"/> in <paramref name="order"/>. Only the items up to the page's end are put
    /// in order (a heap of that size), so a first page of 100,000 scopes costs far less than sorting them all.
    /// </summary>
    public List<T> Of<T>(IReadOnlyCollection<T> items, Comparer<T> order) => [.. TopOrdered.Take(items, (long)Offset + Limit, order).Skip(Offset)];
}

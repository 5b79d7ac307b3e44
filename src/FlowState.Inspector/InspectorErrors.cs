using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>The API's errors: problem details (RFC 9457) whose title is a stable code and whose detail says the way out.</summary>
internal static class InspectorErrors
{
    public static IResult BadRequest(string code, string detail) => Problem(StatusCodes.Status400BadRequest, code, detail);

    public static IResult Unauthorized(string detail) => Problem(StatusCodes.Status401Unauthorized, "token_required", detail);

    public static IResult Forbidden(string code, string detail) => Problem(StatusCodes.Status403Forbidden, code, detail);

    public static IResult NotFound(string code, string detail) => Problem(StatusCodes.Status404NotFound, code, detail);

    public static IResult Conflict(string code, string detail) => Problem(StatusCodes.Status409Conflict, code, detail);

    private static IResult Problem(int status, string code, string detail) => Results.Problem(detail: detail, statusCode: status, title: code);
}

using System.Security.Claims;
using Crm.Inbox.Search;
using Crm.Inbox.Storage;
using Crm.Inbox.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Crm.Inbox.Apis;

public static class SearchApi
{
    public const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", Search).RequireAuthorization().WithTags("Search");
        return app;
    }

    /// <summary>A page of results; pass <see cref="NextCursor"/> as <c>cursor</c> for the next one (null at the end).</summary>
    public sealed record SearchPage(IReadOnlyList<SearchHit> Items, string? NextCursor);

    /// <summary>
    /// The caller's workspace searched for <paramref name="q"/> (up to 200 characters, taken literally): message text,
    /// customer names and identities. Customer matches come first, then messages newest stored first (see <see cref="SearchHit"/>).
    /// </summary>
    public static async Task<Results<Ok<SearchPage>, ProblemHttpResult>> Search(IInboxStore store, ClaimsPrincipal user, string? q, int? limit,
        string? cursor, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(SearchApi));
        if (string.IsNullOrWhiteSpace(q) || q.Length > SearchQuery.MaxLength)
        {
            logger.LogInformation("Refused a search query of {Length} characters", q?.Length ?? 0);
            return Invalid($"q must have 1 to {SearchQuery.MaxLength} characters.");
        }
        if (limit is < 1 or > MaxPageSize) return Invalid($"limit must be between 1 and {MaxPageSize}.");
        PageCursor? after = null;
        if (cursor is not null && !PageCursor.TryParse(cursor, out after))
        {
            logger.LogInformation("Refused a malformed search cursor");
            return Invalid("cursor is not a cursor this API returned.");
        }

        var take = limit ?? 20;
        var hits = await store.SearchAsync(user.WorkspaceId(), SearchQuery.Parse(q), after, take + 1, ct);
        var page = hits.Take(take).ToList();
        return TypedResults.Ok(new SearchPage(page, hits.Count > take ? page[^1].Cursor.Encode() : null));
    }

    private static ProblemHttpResult Invalid(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");
}

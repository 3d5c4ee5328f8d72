using System.Security.Claims;
using System.Text.RegularExpressions;
using Crm.Connectors.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Connections;

/// <summary>Who is calling the admin API, as the host reads it from the agent's token.</summary>
public sealed record ConnectionsCaller(Guid WorkspaceId, bool CanManage);

/// <summary>The workspace's teams, as far as routing needs them: the host answers from the inbox (connectors know no teams).</summary>
public interface IRoutingTeams
{
    Task<bool> ExistsAsync(Guid workspaceId, Guid teamId, CancellationToken ct);
}

/// <summary>
/// Owners and admins add, edit, test and remove their workspace's channel connections. Secrets go in and
/// never come out: responses say only whether a token is set, and logs never name it. Another workspace's
/// connection is answered 404, as if it did not exist.
/// </summary>
public static partial class ChannelConnectionsApi
{
    public const string Path = "/api/channel-connections";

    public sealed record TwilioSettingsInput(string? AccountSid, string? AuthToken, IReadOnlyList<string>? Numbers, string? ApiBaseUrl);

    public sealed record CreateChannelConnection(string? Type, string? DisplayName, bool? Enabled, Guid? RoutingTeamId, TwilioSettingsInput? Twilio);

    /// <summary>
    /// Only what is given changes; <c>twilio.authToken</c> replaces the token (write-only). Routing back to the whole
    /// workspace is <see cref="RouteTo"/>'s, where null says so.
    /// </summary>
    public sealed record UpdateChannelConnection(string? DisplayName, bool? Enabled, Guid? RoutingTeamId, TwilioSettingsInput? Twilio);

    public sealed record TwilioSettingsView(string AccountSid, IReadOnlyList<string> Numbers, Uri? ApiBaseUrl, bool AuthTokenSet);

    /// <summary>What to paste into Twilio's console: the sender's "when a message comes in" and status callback URLs.</summary>
    public sealed record WebhookUrls(string Messages, string Status);

    /// <summary>The team new conversations of the connection go to; null: the whole workspace.</summary>
    public sealed record RoutingRequest(Guid? TeamId);

    public sealed record ChannelConnectionView(Guid Id, string Type, string DisplayName, bool Enabled, Guid? RoutingTeamId,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, TwilioSettingsView? Twilio, WebhookUrls Webhooks);

    public sealed record ConnectionTestResult(bool Ok, string Message);

    public static IEndpointRouteBuilder MapChannelConnections(this IEndpointRouteBuilder app, Func<ClaimsPrincipal, ConnectionsCaller> caller)
    {
        var api = app.MapGroup(Path).RequireAuthorization().WithTags("Channel connections")
            .AddEndpointFilter(async (context, next) =>
            {
                var who = caller(context.HttpContext.User);
                if (!who.CanManage)
                    return TypedResults.Problem("Only the workspace's owners and admins manage channel connections.", statusCode: StatusCodes.Status403Forbidden);
                context.HttpContext.Items[typeof(ConnectionsCaller)] = who;
                return await next(context);
            });
        api.MapGet("", List);
        api.MapPost("", Create);
        api.MapGet("/{id:guid}", Get);
        api.MapPatch("/{id:guid}", Update);
        api.MapDelete("/{id:guid}", Delete);
        api.MapPost("/{id:guid}/test", Test);
        api.MapPut("/{id:guid}/routing", RouteTo);
        return app;
    }

    private static Guid Workspace(HttpContext context) => ((ConnectionsCaller)context.Items[typeof(ConnectionsCaller)]!).WorkspaceId;

    public static async Task<Ok<List<ChannelConnectionView>>> List(HttpContext context, ChannelConnections connections, IOptions<TwilioOptions> twilio, CancellationToken ct)
        => TypedResults.Ok((await connections.ListAsync(Workspace(context), ct)).Select(c => View(c, context.Request, twilio.Value)).ToList());

    public static async Task<Results<Ok<ChannelConnectionView>, ProblemHttpResult>> Get(Guid id, HttpContext context, ChannelConnections connections,
        IOptions<TwilioOptions> twilio, CancellationToken ct)
        => await connections.FindAsync(Workspace(context), id, ct) is { } found
            ? TypedResults.Ok(View(found, context.Request, twilio.Value))
            : NotFound();

    public static async Task<Results<Created<ChannelConnectionView>, ValidationProblem, ProblemHttpResult>> Create(CreateChannelConnection request,
        HttpContext context, ChannelConnections connections, IRoutingTeams teams, IOptions<TwilioOptions> twilio, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Type != ChannelConnectionTypes.TwilioWhatsApp)
            errors["type"] = [$"type must be one of: {string.Join(", ", ChannelConnectionTypes.All)}."];
        var name = ValidName(request.DisplayName ?? "Twilio WhatsApp", errors);
        var settings = ValidTwilio(request.Twilio, existing: null, errors, out var authToken);
        await ValidTeamAsync(request.RoutingTeamId, Workspace(context), teams, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var connection = connections.Twilio(Guid.NewGuid(), Workspace(context), name!, request.Enabled ?? true, request.RoutingTeamId,
            clock.GetUtcNow(), settings!, authToken!);
        try
        {
            await connections.AddAsync(connection, ct);
        }
        catch (SenderTakenException taken)
        {
            return SenderTaken(context, loggers, taken);
        }
        Logger(loggers).LogInformation("Added channel connection {ConnectionId} ({Type}) to workspace {WorkspaceId}", connection.Id, connection.Type, connection.WorkspaceId);
        return TypedResults.Created($"{Path}/{connection.Id}", View(connection, context.Request, twilio.Value));
    }

    public static async Task<Results<Ok<ChannelConnectionView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, UpdateChannelConnection request,
        HttpContext context, ChannelConnections connections, IRoutingTeams teams, IOptions<TwilioOptions> twilio, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await connections.FindAsync(Workspace(context), id, ct) is not { } existing) return NotFound();

        var errors = new Dictionary<string, string[]>();
        var name = request.DisplayName is null ? existing.DisplayName : ValidName(request.DisplayName, errors);
        var settings = ValidTwilio(request.Twilio, ChannelConnections.TwilioSettingsOf(existing), errors, out var authToken);
        await ValidTeamAsync(request.RoutingTeamId, existing.WorkspaceId, teams, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var updated = connections.Twilio(existing.Id, existing.WorkspaceId, name!, request.Enabled ?? existing.Enabled,
            request.RoutingTeamId ?? existing.RoutingTeamId, existing.CreatedAt, settings!, authToken ?? connections.TwilioAuthTokenOf(existing));
        try
        {
            if (!await connections.UpdateAsync(updated, ct)) return NotFound();
        }
        catch (SenderTakenException taken)
        {
            return SenderTaken(context, loggers, taken);
        }
        Logger(loggers).LogInformation("Updated channel connection {ConnectionId} (enabled: {Enabled}, token replaced: {TokenReplaced})",
            id, updated.Enabled, authToken is not null);
        return TypedResults.Ok(View(updated, context.Request, twilio.Value));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, HttpContext context, ChannelConnections connections,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (!await connections.DeleteAsync(Workspace(context), id, ct)) return NotFound();
        Logger(loggers).LogInformation("Deleted channel connection {ConnectionId}", id);
        return TypedResults.NoContent();
    }

    /// <summary>Where the connection's new conversations go: a team of the workspace, or (null) the whole workspace.</summary>
    public static async Task<Results<Ok<ChannelConnectionView>, ValidationProblem, ProblemHttpResult>> RouteTo(Guid id, RoutingRequest request,
        HttpContext context, ChannelConnections connections, IRoutingTeams teams, IOptions<TwilioOptions> twilio, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken ct)
    {
        if (await connections.FindAsync(Workspace(context), id, ct) is not { } existing) return NotFound();
        var errors = new Dictionary<string, string[]>();
        await ValidTeamAsync(request.TeamId, existing.WorkspaceId, teams, errors, ct);
        if (errors.Count > 0)
        {
            Logger(loggers).LogInformation("Refused routing channel connection {ConnectionId} to team {TeamId}", id, request.TeamId);
            return TypedResults.ValidationProblem(errors);
        }
        var routed = existing with { RoutingTeamId = request.TeamId, UpdatedAt = clock.GetUtcNow() };
        if (!await connections.UpdateAsync(routed, ct)) return NotFound();
        Logger(loggers).LogInformation("Channel connection {ConnectionId} routes new conversations to team {TeamId}", id, request.TeamId);
        return TypedResults.Ok(View(routed, context.Request, twilio.Value));
    }

    private static async Task ValidTeamAsync(Guid? teamId, Guid workspaceId, IRoutingTeams teams, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (teamId is { } id && !await teams.ExistsAsync(workspaceId, id, ct)) errors["routingTeamId"] = ["No such team in this workspace."];
    }

    /// <summary>Asks Twilio whether the stored credentials work; the answer, good or bad, is a 200 with the words.</summary>
    public static async Task<Results<Ok<ConnectionTestResult>, ProblemHttpResult>> Test(Guid id, HttpContext context, ChannelConnections connections,
        TwilioMessagesClient twilio, CancellationToken ct)
    {
        if (await connections.FindAsync(Workspace(context), id, ct) is not { } found) return NotFound();
        var check = await twilio.CheckAccountAsync(connections.ToTwilioAccount(found), ct);
        return TypedResults.Ok(new ConnectionTestResult(check.Ok, check.Message));
    }

    private static ChannelConnectionView View(ChannelConnection connection, HttpRequest request, TwilioOptions twilio)
    {
        var settings = ChannelConnections.TwilioSettingsOf(connection);
        var publicBase = twilio.PublicBaseUrl?.ToString().TrimEnd('/') ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
        return new ChannelConnectionView(connection.Id, connection.Type, connection.DisplayName, connection.Enabled, connection.RoutingTeamId,
            connection.CreatedAt, connection.UpdatedAt,
            new TwilioSettingsView(settings.AccountSid, settings.Numbers, settings.ApiBaseUrl, AuthTokenSet: connection.ProtectedSecrets.Length > 0),
            new WebhookUrls(publicBase + TwilioWebhookPaths.MessagesOf(connection.Id), publicBase + TwilioWebhookPaths.StatusOf(connection.Id)));
    }

    private static string? ValidName(string name, Dictionary<string, string[]> errors)
    {
        var trimmed = name.Trim();
        if (trimmed.Length is 0 or > 100 || trimmed.Any(char.IsControl))
        {
            errors["displayName"] = ["displayName must be 1 to 100 characters, without control characters."];
            return null;
        }
        return trimmed;
    }

    /// <summary>The settings after applying <paramref name="input"/> to <paramref name="existing"/> (all required when creating).</summary>
    private static TwilioConnectionSettings? ValidTwilio(TwilioSettingsInput? input, TwilioConnectionSettings? existing,
        Dictionary<string, string[]> errors, out string? authToken)
    {
        authToken = null;
        if (input is null && existing is null)
        {
            errors["twilio"] = ["twilio settings (accountSid, authToken, numbers) are required."];
            return null;
        }

        var accountSid = input?.AccountSid?.Trim() ?? existing?.AccountSid;
        if (accountSid is null || !AccountSidPattern().IsMatch(accountSid))
            errors["twilio.accountSid"] = ["accountSid must be Twilio's account SID: AC followed by 32 letters or digits."];

        if (input?.AuthToken is { } token)
        {
            if (token.Length is 0 or > 200 || token.Any(char.IsControl)) errors["twilio.authToken"] = ["authToken must be 1 to 200 characters."];
            else authToken = token;
        }
        else if (existing is null)
        {
            errors["twilio.authToken"] = ["authToken is required."];
        }

        var numbers = new List<string>();
        foreach (var number in input?.Numbers ?? existing?.Numbers ?? [])
        {
            string identity;
            try { identity = WhatsAppNumbers.Identity(number ?? ""); }
            catch (FormatException) { identity = ""; }
            if (!identity.StartsWith('+'))
            {
                errors["twilio.numbers"] = ["numbers must be WhatsApp senders such as whatsapp:+14155238886."];
                break;
            }
            numbers.Add(WhatsAppNumbers.ToWhatsAppAddress(identity));
        }
        if (numbers.Count == 0 && !errors.ContainsKey("twilio.numbers")) errors["twilio.numbers"] = ["At least one WhatsApp sender number is required."];
        if (numbers.Count > 50) errors["twilio.numbers"] = ["At most 50 sender numbers per connection."];

        Uri? apiBaseUrl = existing?.ApiBaseUrl;
        if (input?.ApiBaseUrl is { } url)
        {
            if (url.Length == 0) apiBaseUrl = null;
            else if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.UserInfo.Length == 0) apiBaseUrl = parsed;
            else errors["twilio.apiBaseUrl"] = ["apiBaseUrl must be an absolute http(s) URL, or empty for Twilio's own API."];
        }

        return new TwilioConnectionSettings(accountSid ?? "", numbers.Distinct(StringComparer.Ordinal).ToList(), apiBaseUrl);
    }

    private static ProblemHttpResult NotFound()
        => TypedResults.Problem("No channel connection of this workspace has this id.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static ProblemHttpResult SenderTaken(HttpContext context, ILoggerFactory loggers, SenderTakenException taken)
    {
        Logger(loggers).LogWarning("Refused a channel connection change at {Path}: {Reason}", context.Request.Path, taken.Message);
        return TypedResults.Problem(taken.Message, statusCode: StatusCodes.Status409Conflict, title: "Sender number already connected");
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(ChannelConnectionsApi));

    [GeneratedRegex("^AC[A-Za-z0-9]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountSidPattern();
}

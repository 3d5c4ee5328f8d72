using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
public static class ChannelConnectionsApi
{
    public const string Path = "/api/channel-connections";

    /// <summary>
    /// A new connection of <see cref="Type"/>; its settings go under the type's own property (<c>twilio</c>, <c>wechat</c>,
    /// <c>messenger</c>, <c>whatsappCloud</c>), secrets included: they are encrypted and never come back.
    /// </summary>
    public sealed record CreateChannelConnection(string? Type, string? DisplayName, bool? Enabled, Guid? RoutingTeamId)
    {
        [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
    }

    /// <summary>
    /// Only what is given changes; a secret given replaces the stored one (write-only). Routing back to the whole
    /// workspace is <see cref="RouteTo"/>'s, where null says so.
    /// </summary>
    public sealed record UpdateChannelConnection(string? DisplayName, bool? Enabled, Guid? RoutingTeamId)
    {
        [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
    }

    /// <summary>The team new conversations of the connection go to; null: the whole workspace.</summary>
    public sealed record RoutingRequest(Guid? TeamId);

    /// <summary>
    /// A connection as admins see it. <see cref="Webhooks"/> are the URLs to paste into the provider's console; the
    /// type's settings (never a secret, only whether each is set) are under the type's property, e.g. <c>twilio</c>.
    /// </summary>
    public sealed record ChannelConnectionView(Guid Id, string Type, string Channel, string DisplayName, bool Enabled, Guid? RoutingTeamId,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyDictionary<string, string> Webhooks, int Templates)
    {
        [JsonExtensionData] public Dictionary<string, object>? Settings { get; init; }
    }

    public sealed record ConnectionTestResult(bool Ok, string Message);

    public sealed record TemplateCatalog(IReadOnlyList<MessageTemplate> Templates);

    public sealed record TemplateSyncResult(bool Ok, string Message, IReadOnlyList<MessageTemplate> Templates);

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
        api.MapGet("/{id:guid}/templates", ListTemplates);
        api.MapPut("/{id:guid}/templates", ReplaceTemplates);
        api.MapPost("/{id:guid}/templates/sync", SyncTemplates);
        return app;
    }

    private static Guid Workspace(HttpContext context) => ((ConnectionsCaller)context.Items[typeof(ConnectionsCaller)]!).WorkspaceId;

    public static async Task<Ok<List<ChannelConnectionView>>> List(HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types,
        WebhookBaseUrl webhooks, CancellationToken ct)
        => TypedResults.Ok((await connections.ListAsync(Workspace(context), ct)).Where(c => types.Find(c.Type) is not null)
            .Select(c => View(c, types, webhooks.For(context.Request))).ToList());

    public static async Task<Results<Ok<ChannelConnectionView>, ProblemHttpResult>> Get(Guid id, HttpContext context, ChannelConnections connections,
        ChannelConnectionTypeRegistry types, WebhookBaseUrl webhooks, CancellationToken ct)
        => await FindAsync(context, connections, types, id, ct) is { } found
            ? TypedResults.Ok(View(found, types, webhooks.For(context.Request)))
            : NotFound();

    public static async Task<Results<Created<ChannelConnectionView>, ValidationProblem, ProblemHttpResult>> Create(CreateChannelConnection request,
        HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types, IRoutingTeams teams, WebhookBaseUrl webhooks,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var type = request.Type is null ? null : types.Find(request.Type);
        if (type is null)
        {
            errors["type"] = [$"type must be one of: {string.Join(", ", types.Types.Order(StringComparer.Ordinal))}."];
            return TypedResults.ValidationProblem(errors);
        }
        var name = ValidName(request.DisplayName ?? type.DefaultDisplayName, errors);
        var settings = type.Apply(SettingsOf(request.Settings, type), existing: null, errors);
        await ValidTeamAsync(request.RoutingTeamId, Workspace(context), teams, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var connection = connections.Compose(Guid.NewGuid(), Workspace(context), type.Type, name!, request.Enabled ?? true, request.RoutingTeamId,
            clock.GetUtcNow(), settings!);
        try
        {
            await connections.AddAsync(connection, ct);
        }
        catch (SenderTakenException taken)
        {
            return SenderTaken(context, loggers, taken);
        }
        Logger(loggers).LogInformation("Added channel connection {ConnectionId} ({Type}) to workspace {WorkspaceId}", connection.Id, connection.Type, connection.WorkspaceId);
        return TypedResults.Created($"{Path}/{connection.Id}", View(connection, types, webhooks.For(context.Request)));
    }

    public static async Task<Results<Ok<ChannelConnectionView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, UpdateChannelConnection request,
        HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types, IRoutingTeams teams, WebhookBaseUrl webhooks,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (await FindAsync(context, connections, types, id, ct) is not { } existing) return NotFound();
        var type = types.Of(existing);

        var errors = new Dictionary<string, string[]>();
        var name = request.DisplayName is null ? existing.DisplayName : ValidName(request.DisplayName, errors);
        var given = SettingsOf(request.Settings, type);
        var settings = given is null ? new StoredSettings(existing.SettingsJson, existing.ProtectedSecrets, existing.Senders) : type.Apply(given, existing, errors);
        await ValidTeamAsync(request.RoutingTeamId, existing.WorkspaceId, teams, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var updated = connections.Compose(existing.Id, existing.WorkspaceId, existing.Type, name!, request.Enabled ?? existing.Enabled,
            request.RoutingTeamId ?? existing.RoutingTeamId, existing.CreatedAt, settings!) with { Templates = existing.Templates };
        try
        {
            if (!await connections.UpdateAsync(updated, ct)) return NotFound();
        }
        catch (SenderTakenException taken)
        {
            return SenderTaken(context, loggers, taken);
        }
        Logger(loggers).LogInformation("Updated channel connection {ConnectionId} (enabled: {Enabled}, secrets re-encrypted: {SecretsChanged})",
            id, updated.Enabled, updated.ProtectedSecrets != existing.ProtectedSecrets);
        return TypedResults.Ok(View(updated, types, webhooks.For(context.Request)));
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
        HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types, IRoutingTeams teams, WebhookBaseUrl webhooks,
        TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await FindAsync(context, connections, types, id, ct) is not { } existing) return NotFound();
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
        return TypedResults.Ok(View(routed, types, webhooks.For(context.Request)));
    }

    /// <summary>Asks the provider whether the stored credentials work; the answer, good or bad, is a 200 with the words.</summary>
    public static async Task<Results<Ok<ConnectionTestResult>, ProblemHttpResult>> Test(Guid id, HttpContext context, ChannelConnections connections,
        ChannelConnectionTypeRegistry types, CancellationToken ct)
    {
        if (await FindAsync(context, connections, types, id, ct) is not { } found) return NotFound();
        var check = await types.Of(found).TestAsync(found, ct);
        return TypedResults.Ok(new ConnectionTestResult(check.Ok, check.Message));
    }

    public static async Task<Results<Ok<TemplateCatalog>, ProblemHttpResult>> ListTemplates(Guid id, HttpContext context, ChannelConnections connections,
        ChannelConnectionTypeRegistry types, CancellationToken ct)
        => await FindAsync(context, connections, types, id, ct) is { } found ? TypedResults.Ok(new TemplateCatalog(found.Templates)) : NotFound();

    /// <summary>Replaces the connection's catalog with templates entered by hand (as approved in the provider's console).</summary>
    public static async Task<Results<Ok<TemplateCatalog>, ValidationProblem, ProblemHttpResult>> ReplaceTemplates(Guid id, TemplateCatalog request,
        HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await FindAsync(context, connections, types, id, ct) is not { } existing) return NotFound();
        var errors = TemplateRules.Check(request.Templates);
        if (errors.Count > 0)
        {
            Logger(loggers).LogInformation("Refused a template catalog for channel connection {ConnectionId}: {Fields}", id, string.Join(", ", errors.Keys));
            return TypedResults.ValidationProblem(errors);
        }
        var templates = TemplateRules.Normalize(request.Templates);
        if (!await connections.UpdateAsync(existing with { Templates = templates, UpdatedAt = clock.GetUtcNow() }, ct)) return NotFound();
        Logger(loggers).LogInformation("Channel connection {ConnectionId} has {Count} templates, entered by hand", id, templates.Count);
        return TypedResults.Ok(new TemplateCatalog(templates));
    }

    /// <summary>
    /// Replaces the catalog with the provider's approved templates, where the provider has an API for them. The provider's
    /// failure is a 200 with the words (nothing changes); a type without such an API is a 409.
    /// </summary>
    public static async Task<Results<Ok<TemplateSyncResult>, ProblemHttpResult>> SyncTemplates(Guid id, HttpContext context, ChannelConnections connections,
        ChannelConnectionTypeRegistry types, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        if (await FindAsync(context, connections, types, id, ct) is not { } existing) return NotFound();
        var fetched = await types.Of(existing).FetchTemplatesAsync(existing, ct);
        if (fetched is null)
            return TypedResults.Problem("This provider has no API for its templates: enter them by hand.", statusCode: StatusCodes.Status409Conflict,
                title: "Templates cannot be synced");
        if (fetched.Error is { } error) return TypedResults.Ok(new TemplateSyncResult(false, error, existing.Templates));
        var templates = TemplateRules.Normalize(fetched.Templates);
        if (!await connections.UpdateAsync(existing with { Templates = templates, UpdatedAt = clock.GetUtcNow() }, ct)) return NotFound();
        Logger(loggers).LogInformation("Channel connection {ConnectionId} synced {Count} templates from its provider", id, templates.Count);
        return TypedResults.Ok(new TemplateSyncResult(true, $"{templates.Count} approved templates read from the provider.", templates));
    }

    /// <summary>The connection if it is the caller's workspace's and of a type this build knows: else as unknown as a made-up id.</summary>
    private static async Task<ChannelConnection?> FindAsync(HttpContext context, ChannelConnections connections, ChannelConnectionTypeRegistry types,
        Guid id, CancellationToken ct)
        => await connections.FindAsync(Workspace(context), id, ct) is { } found && types.Find(found.Type) is not null ? found : null;

    private static JsonElement? SettingsOf(Dictionary<string, JsonElement>? settings, IChannelConnectionType type)
        => settings?.FirstOrDefault(pair => string.Equals(pair.Key, type.SettingsProperty, StringComparison.OrdinalIgnoreCase)) is { Key: not null } found
            ? found.Value
            : null;

    private static async Task ValidTeamAsync(Guid? teamId, Guid workspaceId, IRoutingTeams teams, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (teamId is { } id && !await teams.ExistsAsync(workspaceId, id, ct)) errors["routingTeamId"] = ["No such team in this workspace."];
    }

    private static ChannelConnectionView View(ChannelConnection connection, ChannelConnectionTypeRegistry types, string publicBase)
    {
        var type = types.Of(connection);
        return new ChannelConnectionView(connection.Id, connection.Type, type.Channel, connection.DisplayName, connection.Enabled, connection.RoutingTeamId,
            connection.CreatedAt, connection.UpdatedAt, type.WebhookPaths(connection.Id).ToDictionary(pair => pair.Key, pair => publicBase + pair.Value),
            connection.Templates.Count)
        {
            Settings = new Dictionary<string, object> { [type.SettingsProperty] = type.View(connection) },
        };
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

    private static ProblemHttpResult NotFound()
        => TypedResults.Problem("No channel connection of this workspace has this id.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static ProblemHttpResult SenderTaken(HttpContext context, ILoggerFactory loggers, SenderTakenException taken)
    {
        Logger(loggers).LogWarning("Refused a channel connection change at {Path}: {Reason}", context.Request.Path, taken.Message);
        return TypedResults.Problem(taken.Message, statusCode: StatusCodes.Status409Conflict, title: "Sender already connected");
    }

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger(typeof(ChannelConnectionsApi));
}

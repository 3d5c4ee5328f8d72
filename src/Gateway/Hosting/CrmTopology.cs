namespace Crm.Gateway.Hosting;

public enum CrmMode { Embedded, Distributed }

public enum BusTransport { InMemory, RabbitMq }

public enum StoreKind { Sqlite, Mongo }

/// <summary>
/// The one place that turns configuration into how Crm runs. <c>Crm:Mode</c> picks sensible
/// defaults for everything else; each piece can still be overridden on its own (tests run the
/// RabbitMQ transport and Redis backplane against the SQLite store, for example).
/// In Distributed mode <c>Crm:Roles</c> splits the work across processes: <c>agents</c> (agent API
/// and live hub), <c>inbox</c> (timeline consumers), <c>connectors</c> (provider webhooks and sending).
/// </summary>
public sealed record CrmTopology(
    CrmMode Mode,
    BusTransport Transport,
    StoreKind Store,
    bool UseRedis,
    bool RunsAgents,
    bool RunsInbox,
    bool RunsConnectors)
{
    public static CrmTopology From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Crm");
        var mode = section.GetValue("Mode", CrmMode.Embedded);
        var distributed = mode == CrmMode.Distributed;
        var roles = (section["Roles"] ?? "all")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(role => role.ToLowerInvariant())
            .ToHashSet();
        var unknownRoles = roles.Except(["all", "agents", "inbox", "connectors"]).ToList();
        if (unknownRoles.Count > 0)
            throw new InvalidOperationException($"Crm:Roles has unknown roles: {string.Join(", ", unknownRoles)}. Use all, agents, inbox or connectors.");
        if (!distributed && !roles.Contains("all"))
            throw new InvalidOperationException("Crm:Roles can only split Crm across processes in Distributed mode.");

        return new CrmTopology(
            mode,
            section.GetValue("Transport", distributed ? BusTransport.RabbitMq : BusTransport.InMemory),
            section.GetValue("Store", distributed ? StoreKind.Mongo : StoreKind.Sqlite),
            section.GetValue("Redis", distributed),
            roles.Contains("all") || roles.Contains("agents"),
            roles.Contains("all") || roles.Contains("inbox"),
            roles.Contains("all") || roles.Contains("connectors"));
    }
}

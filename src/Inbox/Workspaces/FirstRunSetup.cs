using Crm.Inbox.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Inbox.Workspaces;

/// <summary><c>Crm:Bootstrap:*</c>: the workspace and owner created at start when no agent exists yet.</summary>
public sealed class FirstRunOptions
{
    public const string Section = "Crm:Bootstrap";

    public string? Email { get; set; }
    public string? Password { get; set; }
    public string? Workspace { get; set; }
    public string? Name { get; set; }

    /// <summary>Optional: the new workspace's id (a fresh one otherwise).</summary>
    public Guid? WorkspaceId { get; set; }

    /// <summary>Set in Development only: seeds the demo workspace and its agents.</summary>
    internal bool SeedDemo { get; set; }
}

/// <summary>The demo workspace's agents; their password is documented in the README, so Development only.</summary>
public static class DemoAgents
{
    public const string Password = "demo-password-1";
    public const string OwnerEmail = "owner@demo.crm";

    public static readonly IReadOnlyList<(string Email, string Name, string Role)> All =
    [
        (OwnerEmail, "Olivia Owner", AgentRoles.Owner),
        ("ann@demo.crm", "Ann", AgentRoles.Agent),
        ("bob@demo.crm", "Bob", AgentRoles.Agent),
    ];
}

/// <summary>
/// Creates the agent tables at start, then the first workspace and owner from <c>Crm:Bootstrap:*</c> when there
/// is no agent at all, and in Development the demo workspace (each part only when missing, so restarts change
/// nothing). A store that cannot be reached yet is retried in the background, as the inbox store is.
/// </summary>
public sealed class FirstRunSetup(
    IWorkspaceStore workspaces,
    IAgentStore agents,
    AgentAccounts accounts,
    IOptions<FirstRunOptions> options,
    TimeProvider clock,
    ILogger<FirstRunSetup> logger) : SetUpUntilReachable(logger)
{
    protected override string What => "Workspaces and agents";

    protected override async Task SetUpAsync(CancellationToken ct)
    {
        await workspaces.InitializeAsync(ct);
        await agents.InitializeAsync(ct);
        await BootstrapAsync(ct);
        if (options.Value.SeedDemo) await SeedDemoAsync(ct);
    }

    private async Task BootstrapAsync(CancellationToken ct)
    {
        var bootstrap = options.Value;
        if (string.IsNullOrEmpty(bootstrap.Email) || await agents.AnyAsync(ct)) return;
        // appsettings.json lists every key empty: empty means "not given".
        var result = await accounts.CreateWorkspaceWithOwnerAsync(bootstrap.WorkspaceId ?? Guid.NewGuid(),
            string.IsNullOrWhiteSpace(bootstrap.Workspace) ? "Workspace" : bootstrap.Workspace,
            bootstrap.Email, string.IsNullOrWhiteSpace(bootstrap.Name) ? bootstrap.Email.Split('@')[0] : bootstrap.Name, bootstrap.Password, ct);
        if (result.Outcome == AccountOutcome.Done)
            logger.LogInformation("Created workspace {WorkspaceId} and its owner {AgentId} from Crm:Bootstrap.", result.Agent!.WorkspaceId, result.Agent.Id);
        else if (result.Outcome == AccountOutcome.Conflict)
            // Another process of the deployment, starting at the same time, created them first.
            logger.LogInformation("Crm:Bootstrap's owner exists already.");
        else
            logger.LogError("Crm:Bootstrap could not create the first owner: {Problem}", result.Problem);
    }

    private async Task SeedDemoAsync(CancellationToken ct)
    {
        await workspaces.TryCreateAsync(new Workspace(DemoWorkspace.Id, "Demo", clock.GetUtcNow()), ct);
        foreach (var (email, name, role) in DemoAgents.All)
        {
            if (await agents.FindByEmailAsync(email, ct) is not null) continue;
            var result = await accounts.CreateAgentAsync(DemoWorkspace.Id, email, name, role, DemoAgents.Password, ct);
            if (result.Outcome == AccountOutcome.Done) logger.LogInformation("Seeded demo agent {Email} ({Role}).", email, role);
        }
    }
}

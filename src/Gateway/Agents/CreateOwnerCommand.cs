using Crm.Gateway.Hosting;
using Crm.Inbox.Workspaces;

namespace Crm.Gateway.Agents;

/// <summary>
/// <c>create-owner --email … --password … --workspace "Name" [--name …]</c>: first-run setup from a shell. Creates a
/// workspace and its owner in the configured store, then exits (0 when created, 1 otherwise) without serving.
/// </summary>
public static class CreateOwnerCommand
{
    public const string Name = "create-owner";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Name;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var options = Options(args.Skip(1).ToArray());
        if (!options.TryGetValue("email", out var email) || !options.TryGetValue("password", out var password) || !options.TryGetValue("workspace", out var workspace))
        {
            await errors.WriteLineAsync("Usage: create-owner --email <email> --password <password> --workspace <name> [--name <name>]");
            return 1;
        }
        // Only the command's own options are kept out of configuration; the rest (--ConnectionStrings:Sqlite=…) configures the store.
        var builder = WebApplication.CreateBuilder(args.Skip(1).Where((_, i) => !IsCommandOption(args.Skip(1).ToArray(), i)).ToArray());
        builder.AddCrm();
        await using var app = builder.Build();
        var workspaces = app.Services.GetService<IWorkspaceStore>();
        var agents = app.Services.GetService<IAgentStore>();
        if (workspaces is null || agents is null)
        {
            await errors.WriteLineAsync("This Crm process keeps no agents (Crm:Roles): run create-owner where the inbox runs.");
            return 1;
        }
        await workspaces.InitializeAsync();
        await agents.InitializeAsync();
        var result = await app.Services.GetRequiredService<AgentAccounts>().CreateWorkspaceWithOwnerAsync(
            Guid.NewGuid(), workspace, email, options.GetValueOrDefault("name") ?? email.Split('@')[0], password);
        if (result is not { Outcome: AccountOutcome.Done, Agent: { } owner })
        {
            await errors.WriteLineAsync($"create-owner failed: {result.Problem}");
            return 1;
        }
        await output.WriteLineAsync($"Created workspace {owner.WorkspaceId} \"{workspace}\" with owner {owner.Email} ({owner.Id}).");
        return 0;
    }

    private static readonly string[] CommandOptions = ["--email", "--password", "--workspace", "--name"];

    private static bool IsCommandOption(string[] args, int i)
        => CommandOptions.Contains(args[i]) || (i > 0 && CommandOptions.Contains(args[i - 1]));

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i++)
            if (CommandOptions.Contains(args[i])) options[args[i][2..]] = args[++i];
        return options;
    }
}

using Crm.Inbox.Workspaces;

namespace Crm.Inbox.Tests.Workspaces;

/// <summary>
/// What every <see cref="IWorkspaceStore"/> and <see cref="IAgentStore"/> adapter must do. Each adapter's test
/// class supplies fresh, initialized, empty stores; the tests are the same for all of them.
/// </summary>
public abstract class AgentStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid WorkspaceA = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000001");
    private static readonly Guid WorkspaceB = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000002");

    protected abstract Task<(IWorkspaceStore Workspaces, IAgentStore Agents)> CreateStoresAsync();

    private static Agent NewAgent(string email, Guid? workspace = null, string role = AgentRoles.Agent, DateTimeOffset? created = null)
        => new(Guid.NewGuid(), workspace ?? WorkspaceA, email, email.Split('@')[0], role, "hash-of-" + email, IsActive: true,
            FailedSignIns: 0, LockedUntil: null, SessionStamp: "stamp-1", created ?? T0);

    [SkippableFact]
    public async Task A_workspace_is_created_once_and_read_back()
    {
        var (workspaces, _) = await CreateStoresAsync();

        Assert.True(await workspaces.TryCreateAsync(new Workspace(WorkspaceA, "Acme", T0)));
        Assert.False(await workspaces.TryCreateAsync(new Workspace(WorkspaceA, "Other name", T0.AddDays(1))));

        Assert.Equal(new Workspace(WorkspaceA, "Acme", T0), await workspaces.GetAsync(WorkspaceA));
        Assert.Null(await workspaces.GetAsync(WorkspaceB));
    }

    [SkippableFact]
    public async Task An_agent_reads_back_as_created_by_id_and_by_email_whatever_its_case()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("Ann@Acme.test") with { LockedUntil = T0.AddMinutes(5), FailedSignIns = 2 };

        Assert.True(await agents.TryCreateAsync(ann));

        Assert.Equal(ann, await agents.GetAsync(ann.Id));
        Assert.Equal(ann, await agents.FindByEmailAsync("ann@acme.TEST"));
        Assert.Null(await agents.FindByEmailAsync("bob@acme.test"));
        Assert.Null(await agents.GetAsync(Guid.NewGuid()));
    }

    [SkippableFact]
    public async Task An_email_belongs_to_one_agent_per_deployment_whatever_its_case_or_workspace()
    {
        var (_, agents) = await CreateStoresAsync();
        Assert.True(await agents.TryCreateAsync(NewAgent("ann@acme.test")));

        Assert.False(await agents.TryCreateAsync(NewAgent("ANN@acme.test", WorkspaceB)));
        Assert.Equal(WorkspaceA, (await agents.FindByEmailAsync("ann@acme.test"))!.WorkspaceId);
    }

    [SkippableFact]
    public async Task Any_says_whether_there_is_an_agent_at_all()
    {
        var (_, agents) = await CreateStoresAsync();
        Assert.False(await agents.AnyAsync());

        await agents.TryCreateAsync(NewAgent("ann@acme.test"));

        Assert.True(await agents.AnyAsync());
    }

    [SkippableFact]
    public async Task A_workspace_lists_only_its_own_agents_oldest_first()
    {
        var (_, agents) = await CreateStoresAsync();
        var bob = NewAgent("bob@acme.test", created: T0.AddMinutes(2));
        var ann = NewAgent("ann@acme.test", created: T0.AddMinutes(1));
        await agents.TryCreateAsync(bob);
        await agents.TryCreateAsync(ann);
        await agents.TryCreateAsync(NewAgent("zed@other.test", WorkspaceB));

        var listed = await agents.ListAsync(WorkspaceA);

        Assert.Equal([ann.Id, bob.Id], listed.Select(a => a.Id));
    }

    [SkippableFact]
    public async Task Active_owners_are_counted_per_workspace()
    {
        var (_, agents) = await CreateStoresAsync();
        await agents.TryCreateAsync(NewAgent("o1@acme.test", role: AgentRoles.Owner));
        var o2 = NewAgent("o2@acme.test", role: AgentRoles.Owner);
        await agents.TryCreateAsync(o2);
        await agents.TryCreateAsync(NewAgent("admin@acme.test", role: AgentRoles.Admin));
        await agents.TryCreateAsync(NewAgent("o3@other.test", WorkspaceB, AgentRoles.Owner));
        Assert.Equal(2, await agents.CountActiveOwnersAsync(WorkspaceA));

        await agents.SetActiveAsync(o2.Id, active: false, "stamp-2");

        Assert.Equal(1, await agents.CountActiveOwnersAsync(WorkspaceA));
    }

    [SkippableFact]
    public async Task Owners_stepping_down_at_once_always_leave_one_active_owner()
    {
        var (_, agents) = await CreateStoresAsync();
        var (o1, o2, o3) = (NewAgent("o1@acme.test", role: AgentRoles.Owner), NewAgent("o2@acme.test", role: AgentRoles.Owner),
            NewAgent("o3@acme.test", role: AgentRoles.Owner));
        await agents.TryCreateAsync(o1);
        await agents.TryCreateAsync(o2);
        await agents.TryCreateAsync(NewAgent("o4@other.test", WorkspaceB, AgentRoles.Owner));

        var demoted = await Task.WhenAll(agents.UpdateProfileAsync(o1.Id, null, AgentRoles.Admin), agents.UpdateProfileAsync(o2.Id, null, AgentRoles.Admin));

        Assert.Single(demoted, agent => agent!.Role == AgentRoles.Admin);
        var last = demoted.Single(agent => agent!.Role == AgentRoles.Owner)!;
        Assert.True((await agents.SetActiveAsync(last.Id, active: false, "stamp-1"))!.IsActive);
        Assert.Equal(("Renamed", AgentRoles.Owner), ((await agents.UpdateProfileAsync(last.Id, "Renamed", null))!.Name, last.Role));
        Assert.Equal(1, await agents.CountActiveOwnersAsync(WorkspaceA));

        // With a third owner, two deactivations at once: one goes, one stays.
        await agents.TryCreateAsync(o3);
        var deactivated = await Task.WhenAll(agents.SetActiveAsync(last.Id, active: false, "stamp-2"), agents.SetActiveAsync(o3.Id, active: false, "stamp-3"));

        Assert.Single(deactivated, agent => !agent!.IsActive);
        Assert.Equal(1, await agents.CountActiveOwnersAsync(WorkspaceA));
        Assert.Null(await agents.UpdateProfileAsync(Guid.NewGuid(), null, AgentRoles.Admin));
    }

    [SkippableFact]
    public async Task The_failure_that_reaches_the_limit_locks_the_agent_and_restarts_the_count()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test");
        await agents.TryCreateAsync(ann);
        var lockUntil = T0.AddMinutes(15);

        var second = await agents.RecordFailedSignInAsync(ann.Id, 3, lockUntil);
        second = await agents.RecordFailedSignInAsync(ann.Id, 3, lockUntil);
        var third = await agents.RecordFailedSignInAsync(ann.Id, 3, lockUntil);

        Assert.Equal(2, second!.FailedSignIns);
        Assert.Null(second.LockedUntil);
        Assert.Equal(0, third!.FailedSignIns);
        Assert.Equal(lockUntil, third.LockedUntil);
        Assert.Null(await agents.RecordFailedSignInAsync(Guid.NewGuid(), 3, lockUntil));
    }

    [SkippableFact]
    public async Task Concurrent_failures_each_count()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test");
        await agents.TryCreateAsync(ann);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => agents.RecordFailedSignInAsync(ann.Id, 10, T0.AddMinutes(15))));

        Assert.Equal(4, (await agents.GetAsync(ann.Id))!.FailedSignIns);
    }

    [SkippableFact]
    public async Task A_reset_forgets_failures_and_the_lockout()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test") with { FailedSignIns = 3, LockedUntil = T0.AddMinutes(5) };
        await agents.TryCreateAsync(ann);

        await agents.ResetFailedSignInsAsync(ann.Id);

        var reset = (await agents.GetAsync(ann.Id))!;
        Assert.Equal(0, reset.FailedSignIns);
        Assert.Null(reset.LockedUntil);
    }

    [SkippableFact]
    public async Task A_profile_update_changes_only_what_it_is_given()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test");
        await agents.TryCreateAsync(ann);

        var renamed = await agents.UpdateProfileAsync(ann.Id, "Ann Smith", null);
        var promoted = await agents.UpdateProfileAsync(ann.Id, null, AgentRoles.Admin);

        Assert.Equal(ann with { Name = "Ann Smith" }, renamed);
        Assert.Equal(ann with { Name = "Ann Smith", Role = AgentRoles.Admin }, promoted);
        Assert.Equal(promoted, await agents.GetAsync(ann.Id));
        Assert.Null(await agents.UpdateProfileAsync(Guid.NewGuid(), "Nobody", null));
    }

    [SkippableFact]
    public async Task A_profile_update_can_change_the_session_stamp()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test");
        await agents.TryCreateAsync(ann);

        var demoted = await agents.UpdateProfileAsync(ann.Id, null, AgentRoles.Agent, "stamp-2");

        Assert.Equal(ann with { SessionStamp = "stamp-2" }, demoted);
        Assert.Equal(demoted, await agents.GetAsync(ann.Id));
    }

    [SkippableFact]
    public async Task Deactivating_changes_the_session_stamp()
    {
        var (_, agents) = await CreateStoresAsync();
        var ann = NewAgent("ann@acme.test");
        await agents.TryCreateAsync(ann);

        var deactivated = await agents.SetActiveAsync(ann.Id, active: false, "stamp-2");

        Assert.Equal(ann with { IsActive = false, SessionStamp = "stamp-2" }, deactivated);
        Assert.Equal(deactivated, await agents.GetAsync(ann.Id));
    }

    [SkippableFact]
    public async Task An_invitation_is_found_by_its_token_hash_and_used_only_once()
    {
        var (_, agents) = await CreateStoresAsync();
        var invitation = new Invitation(Guid.NewGuid(), "token-hash-1", "dana@acme.test", AgentRoles.Agent, WorkspaceA, Guid.NewGuid(), T0, T0.AddDays(7), null);
        await agents.CreateInvitationAsync(invitation);

        Assert.Equal(invitation, await agents.FindInvitationAsync("token-hash-1"));
        Assert.Null(await agents.FindInvitationAsync("token-hash-2"));

        var uses = await Task.WhenAll(agents.TryUseInvitationAsync(invitation.Id, T0.AddHours(1)), agents.TryUseInvitationAsync(invitation.Id, T0.AddHours(1)));

        Assert.Single(uses, used => used);
        Assert.Equal(invitation with { UsedAt = T0.AddHours(1) }, await agents.FindInvitationAsync("token-hash-1"));
        Assert.False(await agents.TryUseInvitationAsync(invitation.Id, T0.AddHours(2)));
    }
}

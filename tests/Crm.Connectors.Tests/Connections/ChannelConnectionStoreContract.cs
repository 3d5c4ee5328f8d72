using Crm.Connectors.Connections;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.Connections;

/// <summary>What every channel connection store must do, on SQLite and on MongoDB.</summary>
public abstract class ChannelConnectionStoreContract
{
    private static readonly DateTimeOffset Created = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly Guid workspace = Guid.NewGuid();

    /// <summary>A fresh, initialized store.</summary>
    protected abstract Task<IChannelConnectionStore> CreateStoreAsync();

    private ChannelConnection Connection(params string[] senders) => Connection(workspace, true, senders);

    private static ChannelConnection Connection(Guid workspaceId, bool enabled, params string[] senders)
        => new(Guid.NewGuid(), workspaceId, ChannelConnectionTypes.TwilioWhatsApp, "Sales", enabled, null, Created, Created,
            senders, """{"accountSid":"AC1"}""", "protected-secrets");

    [SkippableFact]
    public async Task A_connection_is_found_by_id_as_it_was_added()
    {
        var store = await CreateStoreAsync();
        var added = Connection("+14155550001", "+14155550002") with
        {
            RoutingTeamId = Guid.NewGuid(),
            Templates = [new MessageTemplate("HX123", "order_update", "en", "Order {{1}} ships {{2}}", ["1", "2"]) { Category = "UTILITY" }],
        };

        Assert.True(await store.AddAsync(added));
        var found = await store.FindAsync(added.Id);

        Assert.NotNull(found);
        Assert.Equal(added with { Senders = [], Templates = [] }, found! with { Senders = [], Templates = [] });
        Assert.Equal(added.Senders, found.Senders);
        Assert.Equal(added.Templates.Single() with { Variables = [] }, found.Templates.Single() with { Variables = [] });
        Assert.Equal(["1", "2"], found.Templates.Single().Variables);
    }

    [SkippableFact]
    public async Task An_update_replaces_the_template_catalog()
    {
        var store = await CreateStoreAsync();
        var added = Connection("+14155550009") with { Templates = [new MessageTemplate("a", "a", null, "A", [])] };
        await store.AddAsync(added);

        Assert.True(await store.UpdateAsync(added with { Templates = [new MessageTemplate("b", "b", "zh_CN", "B {{first.DATA}}", ["first"])] }));

        Assert.Equal(["b"], (await store.FindAsync(added.Id))!.Templates.Select(t => t.Id));
    }

    [SkippableFact]
    public async Task Adding_the_same_id_twice_keeps_the_first()
    {
        var store = await CreateStoreAsync();
        var first = Connection("+14155550003");

        await store.AddAsync(first);
        Assert.False(await store.AddAsync(first with { DisplayName = "Second" }));

        Assert.Equal("Sales", (await store.FindAsync(first.Id))!.DisplayName);
    }

    [SkippableFact]
    public async Task A_workspace_lists_only_its_own_connections()
    {
        var store = await CreateStoreAsync();
        var mine = Connection("+14155550004");
        var theirs = Connection(Guid.NewGuid(), true, "+14155550005");
        await store.AddAsync(mine);
        await store.AddAsync(theirs);

        Assert.Equal([mine.Id], (await store.ListAsync(workspace)).Select(c => c.Id));
    }

    [SkippableFact]
    public async Task A_sender_finds_its_enabled_connection()
    {
        var store = await CreateStoreAsync();
        var connection = Connection("+14155550006", "+14155550007");
        await store.AddAsync(connection);

        Assert.Equal(connection.Id, (await store.FindEnabledBySenderAsync("+14155550007"))?.Id);
        Assert.Null(await store.FindEnabledBySenderAsync("+14155550999"));
    }

    [SkippableFact]
    public async Task A_sender_of_an_enabled_connection_cannot_be_taken_by_another()
    {
        var store = await CreateStoreAsync();
        await store.AddAsync(Connection("+14155550008"));
        var rival = Connection(Guid.NewGuid(), true, "+14155550009", "+14155550008");

        await Assert.ThrowsAsync<SenderTakenException>(() => store.AddAsync(rival));

        Assert.Null(await store.FindAsync(rival.Id));
        Assert.Null(await store.FindEnabledBySenderAsync("+14155550009"));
    }

    [SkippableFact]
    public async Task A_disabled_connection_frees_its_senders()
    {
        var store = await CreateStoreAsync();
        var old = Connection("+14155550010");
        await store.AddAsync(old);

        Assert.True(await store.UpdateAsync(old with { Enabled = false }));
        var replacement = Connection("+14155550010");
        await store.AddAsync(replacement);

        Assert.Equal(replacement.Id, (await store.FindEnabledBySenderAsync("+14155550010"))?.Id);
        await Assert.ThrowsAsync<SenderTakenException>(() => store.UpdateAsync(old));
    }

    [SkippableFact]
    public async Task An_update_changes_the_senders_it_answers_for()
    {
        var store = await CreateStoreAsync();
        var connection = Connection("+14155550011");
        await store.AddAsync(connection);

        await store.UpdateAsync(connection with { Senders = ["+14155550012"], DisplayName = "Support", ProtectedSecrets = "rotated" });

        Assert.Null(await store.FindEnabledBySenderAsync("+14155550011"));
        var found = await store.FindEnabledBySenderAsync("+14155550012");
        Assert.Equal(("Support", "rotated"), (found?.DisplayName, found?.ProtectedSecrets));
    }

    [SkippableFact]
    public async Task Another_workspace_can_neither_update_nor_delete_a_connection()
    {
        var store = await CreateStoreAsync();
        var connection = Connection("+14155550013");
        await store.AddAsync(connection);

        Assert.False(await store.UpdateAsync(connection with { WorkspaceId = Guid.NewGuid(), DisplayName = "Hijacked" }));
        Assert.False(await store.DeleteAsync(Guid.NewGuid(), connection.Id));

        Assert.Equal("Sales", (await store.FindAsync(connection.Id))!.DisplayName);
    }

    [SkippableFact]
    public async Task A_deleted_connection_is_gone_and_its_senders_are_free()
    {
        var store = await CreateStoreAsync();
        var connection = Connection("+14155550014");
        await store.AddAsync(connection);

        Assert.True(await store.DeleteAsync(workspace, connection.Id));

        Assert.Null(await store.FindAsync(connection.Id));
        Assert.Null(await store.FindEnabledBySenderAsync("+14155550014"));
        Assert.True(await store.AddAsync(Connection("+14155550014")));
    }
}

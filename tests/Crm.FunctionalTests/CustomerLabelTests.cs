using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Conversations;
using Crm.Inbox.Customers;

namespace Crm.FunctionalTests;

/// <summary>The workspace's labels on customers: any agent puts them on and takes them off, idempotently, audited; a deleted label goes from customers too.</summary>
public sealed class CustomerLabelTests : CustomerWroteInTests
{
    private static async Task<Label> LabelAsync(HttpClient admin, string name)
        => (await (await admin.PostAsJsonAsync("/api/labels", new { name, color = "#d4a72c" })).Content.ReadFromJsonAsync<Label>())!;

    [Fact]
    public async Task An_agent_labels_a_customer_once_however_often_it_is_asked_and_the_history_shows_each_change()
    {
        var (ann, customer) = await AliceWroteInAsync();
        var vip = await LabelAsync(ann, "VIP");
        var bob = await PlainAgentAsync();

        var added = await bob.PutAsync($"/api/customers/{customer}/labels/{vip.Id}", null);
        var addedAgain = await bob.PutAsync($"/api/customers/{customer}/labels/{vip.Id}", null);
        var shown = await ProfileAsync(ann, customer);
        var removed = await bob.DeleteAsync($"/api/customers/{customer}/labels/{vip.Id}");
        var removedAgain = await bob.DeleteAsync($"/api/customers/{customer}/labels/{vip.Id}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            (added.StatusCode, addedAgain.StatusCode, removed.StatusCode, removedAgain.StatusCode));
        Assert.Equal([vip.Id], shown.Profile.LabelIds);
        Assert.Equal(1, shown.Profile.Version);
        Assert.Equal(1, (await addedAgain.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>())!.Profile.Version);
        var final = (await removedAgain.Content.ReadFromJsonAsync<CustomersApi.CustomerDetails>())!.Profile;
        Assert.Equal(2, final.Version);
        Assert.Empty(final.LabelIds);
        Assert.Equal([(2L, "labels", "VIP", null), (1L, "labels", null, "VIP")],
            (await HistoryAsync(ann, customer)).Select(c => (c.Version, c.Field, c.From, c.To)).ToList());
    }

    [Fact]
    public async Task Deleting_a_workspace_label_takes_it_off_the_customers_carrying_it()
    {
        var (ann, customer) = await AliceWroteInAsync();
        var vip = await LabelAsync(ann, "VIP");
        var kept = await LabelAsync(ann, "Kept");
        await ann.PutAsync($"/api/customers/{customer}/labels/{vip.Id}", null);
        await ann.PutAsync($"/api/customers/{customer}/labels/{kept.Id}", null);

        Assert.Equal(HttpStatusCode.NoContent, (await ann.DeleteAsync($"/api/labels/{vip.Id}")).StatusCode);

        Assert.Equal([kept.Id], (await ProfileAsync(ann, customer)).Profile.LabelIds);
    }

    [Fact]
    public async Task Another_workspaces_label_or_customer_is_a_404_and_changes_nothing()
    {
        var (ann, customer) = await AliceWroteInAsync();
        var mine = await LabelAsync(ann, "VIP");
        var bea = await OtherWorkspaceAdminAsync();
        var theirs = await LabelAsync(bea, "VIP");

        var theirLabelOnMine = await ann.PutAsync($"/api/customers/{customer}/labels/{theirs.Id}", null);
        var theirAgentOnMine = await bea.PutAsync($"/api/customers/{customer}/labels/{theirs.Id}", null);
        var theirAgentWithMyLabel = await bea.PutAsync($"/api/customers/{customer}/labels/{mine.Id}", null);
        var unknownCustomer = await ann.PutAsync($"/api/customers/{Guid.NewGuid()}/labels/{mine.Id}", null);

        Assert.All([theirLabelOnMine, theirAgentOnMine, theirAgentWithMyLabel, unknownCustomer], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        var profile = (await ProfileAsync(ann, customer)).Profile;
        Assert.Equal((0L, 0), (profile.Version, profile.LabelIds.Count));
    }
}

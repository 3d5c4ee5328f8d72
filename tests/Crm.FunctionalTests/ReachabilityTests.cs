using System.Net;
using System.Net.Http.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Workspaces;

namespace Crm.FunctionalTests;

/// <summary>Reachability per identity through the real pipeline: a permanent failure marks it, the customer or an agent clears it.</summary>
public sealed class ReachabilityTests : SignedInAgentTests
{
    private const string Identity = "/identities/whatsapp/%2B14155550100/unreachable";

    private async Task<IdentityDetail> IdentityAsync(Guid customer)
        => Assert.Single((await Agent.GetFromJsonAsync<CustomersApi.CustomerDetails>($"/api/customers/{customer}"))!.Profile.IdentityDetails);

    /// <summary>Ann's reply is accepted, then Twilio reports it failed because the number is not on WhatsApp (63024).</summary>
    private async Task<Guid> ReplyFailedForGoodAsync(string sid)
    {
        var (conversation, reply) = await QueuedReplyAsync(sid, "your order shipped");
        await App.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback(sid, "failed", "63024"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);
        return reply.CustomerId;
    }

    [Fact]
    public async Task A_reply_that_failed_because_the_recipient_is_unavailable_marks_their_identity_unreachable_with_the_reason_and_keeps_it()
    {
        var customer = await ReplyFailedForGoodAsync("SMunreachable00000000000000000001");

        await Eventually.TrueAsync(async () => !(await IdentityAsync(customer)).Reachable);
        var identity = await IdentityAsync(customer);
        var history = await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history");

        Assert.Equal(("+14155550100", SendFailures.RecipientUnavailable, CrmApplication.ConnectionId), (identity.Value, identity.UnreachableReason, identity.ConnectionId));
        Assert.NotNull(identity.UnreachableAt);
        Assert.Contains(history!.Items, c => c is { Field: "reachability.whatsapp:+14155550100", To: "unreachable: recipient-unavailable", ChangedBy: null });
    }

    [Fact]
    public async Task A_failure_for_another_reason_leaves_the_identity_reachable()
    {
        var (_, reply) = await QueuedReplyAsync("SMwindow000000000000000000000001", "are you there?");

        await App.PostFromTwilioAsync("/webhooks/twilio/status", TwilioFakes.StatusCallback("SMwindow000000000000000000000001", "failed", "63016"));
        await Feed.MessageStatusAsync(m => m.Id == reply.Id && m.Status == MessageStatuses.Failed);

        Assert.True((await IdentityAsync(reply.CustomerId)).Reachable);
    }

    [Fact]
    public async Task The_customer_writing_again_makes_the_identity_reachable()
    {
        var customer = await ReplyFailedForGoodAsync("SMunreachable00000000000000000002");
        await Eventually.TrueAsync(async () => !(await IdentityAsync(customer)).Reachable);

        await App.PostFromTwilioAsync("/webhooks/twilio/whatsapp", TwilioFakes.WhatsAppText("SMback", "+14155550100", "I'm back"));
        await Feed.MessageAddedAsync(m => m.ChannelMessageId == "SMback");

        var identity = await IdentityAsync(customer);
        Assert.True(identity.Reachable);
        Assert.Null(identity.UnreachableReason);
    }

    [Fact]
    public async Task An_agent_clears_the_mark_which_is_audited_and_pushed_and_an_unknown_identity_is_404()
    {
        var customer = await ReplyFailedForGoodAsync("SMunreachable00000000000000000003");
        await Eventually.TrueAsync(async () => !(await IdentityAsync(customer)).Reachable);

        var response = await Agent.DeleteAsync($"/api/customers/{customer}{Identity}");
        var pushed = await Feed.CustomerChangedAsync(c => c.CustomerId == customer);
        var unknown = await Agent.DeleteAsync($"/api/customers/{customer}/identities/whatsapp/%2B14155550199/unreachable");
        var history = await Agent.GetFromJsonAsync<CustomersApi.CustomerHistory>($"/api/customers/{customer}/history");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotFound), (response.StatusCode, unknown.StatusCode));
        Assert.True(Assert.Single(pushed.Profile.IdentityDetails).Reachable);
        Assert.Equal(("reachable", "unreachable: recipient-unavailable"), (history!.Items[0].To, history.Items[0].From));
        Assert.NotNull(history.Items[0].ChangedBy);
    }

    [Fact]
    public async Task An_agent_of_another_workspace_gets_404_and_the_mark_stays()
    {
        var customer = await ReplyFailedForGoodAsync("SMunreachable00000000000000000004");
        await Eventually.TrueAsync(async () => !(await IdentityAsync(customer)).Reachable);
        var bea = await App.SignInAsync("bea", Guid.Parse("0b0e0000-0000-4000-8000-0000000000fc"), AgentRoles.Admin);

        var response = await bea.DeleteAsync($"/api/customers/{customer}{Identity}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False((await IdentityAsync(customer)).Reachable);
    }
}

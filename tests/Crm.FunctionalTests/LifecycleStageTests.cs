using System.Net;
using System.Net.Http.Json;
using Crm.Inbox.Customers;

namespace Crm.FunctionalTests;

/// <summary>Each workspace's lifecycle stages: defaults until set, admins set them, profiles are checked against them.</summary>
public sealed class LifecycleStageTests : CustomerWroteInTests
{
    private static async Task<List<string>> StagesAsync(HttpClient agent)
        => (await agent.GetFromJsonAsync<LifecycleStagesApi.StagesBody>("/api/customer-lifecycle-stages"))!.Stages!.Select(s => s!).ToList();

    [Fact]
    public async Task A_workspace_starts_with_the_default_stages_an_admin_sets_its_own_and_an_agent_may_not()
    {
        var ann = await App.SignInAsync("ann");
        var bob = await PlainAgentAsync();
        var before = await StagesAsync(bob);

        var set = await ann.PutAsJsonAsync("/api/customer-lifecycle-stages", new { stages = new[] { "lead", " trial ", "customer", "vip", "churned" } });
        var byAgent = await bob.PutAsJsonAsync("/api/customer-lifecycle-stages", new { stages = new[] { "mine" } });

        Assert.Equal(["lead", "customer", "vip", "churned"], before);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(["lead", "trial", "customer", "vip", "churned"], await StagesAsync(bob));
        Assert.Equal(["lead", "customer", "vip", "churned"], await StagesAsync(await OtherWorkspaceAdminAsync()));
    }

    [Theory]
    [InlineData("""{"stages":[]}""")]
    [InlineData("""{"stages":["lead","LEAD"]}""")]
    [InlineData("""{"stages":["lead",""]}""")]
    [InlineData("""{}""")]
    public async Task A_malformed_list_of_stages_is_a_400_about_stages(string body)
    {
        var ann = await App.SignInAsync("ann");

        var response = await ann.PutAsync("/api/customer-lifecycle-stages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["stages"], await ErrorsAsync(response));
    }

    [Fact]
    public async Task A_profiles_stage_must_be_one_of_the_workspaces_stored_in_its_spelling()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await ann.PutAsJsonAsync("/api/customer-lifecycle-stages", new { stages = new[] { "Lead", "Trial", "VIP" } });

        var unknown = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, lifecycleStage = "churned" });
        var known = await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, lifecycleStage = "trial" });

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(["lifecycleStage"], await ErrorsAsync(unknown));
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal("Trial", (await ProfileAsync(ann, customer)).Profile.Fields.LifecycleStage);
    }

    [Fact]
    public async Task A_stage_customers_are_in_cannot_be_removed_until_they_are_moved()
    {
        var (ann, customer) = await AliceWroteInAsync();
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 0, lifecycleStage = "vip" });

        var refused = await ann.PutAsJsonAsync("/api/customer-lifecycle-stages", new { stages = new[] { "lead", "customer" } });
        var stagesAfterRefusal = await StagesAsync(ann);
        await ann.PatchAsJsonAsync($"/api/customers/{customer}", new { version = 1, lifecycleStage = "customer" });
        var allowed = await ann.PutAsJsonAsync("/api/customer-lifecycle-stages", new { stages = new[] { "lead", "customer" } });

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(new Dictionary<string, long> { ["vip"] = 1 }, await HeldByAsync(refused));
        Assert.Equal(["lead", "customer", "vip", "churned"], stagesAfterRefusal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(["lead", "customer"], await StagesAsync(ann));
    }
}

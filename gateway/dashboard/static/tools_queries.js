// The provider tools' GraphQL documents and HTTP paths, in one place: the self-assessment,
// the annual data call (GraphQL for status, HTTP for the workbook) and the survey results.

export const OWN_PROVIDER = `query ToolsViewer { viewer { providerId } }`;
export const DIRECTORY = `query ToolsDirectory { providers { id name qsmoIds } }`;

const ELEMENTS = `selfAssessmentElements { version scaleLabels { rating label }
    categories { id name elements { id categoryId name definition } } }`;
export const ELEMENT_CATALOG = `query ToolsElements { ${ELEMENTS} }`;
const ASSESSMENT_FIELDS = `id providerId fiscalYear status revision submittedAt reviewedAt reviewedBy
  reviewComments ratings { elementId categoryId rating evidence }
  categoryResults { categoryId name result ratedElements } overall`;
export const ASSESSMENT = `query ToolsAssessment($provider: ID!, $fy: Int!) {
  ${ELEMENTS}
  selfAssessment(provider: $provider, fiscalYear: $fy) {
    ${ASSESSMENT_FIELDS} history { revision action by at comments } } }`;

const RATINGS_ARGS = "$provider: ID!, $fy: Int!, $ratings: [SelfAssessmentRatingInput!]!";
export const SAVE_DRAFT = `mutation ToolsSaveDraft(${RATINGS_ARGS}) {
  saveSelfAssessmentDraft(provider: $provider, fiscalYear: $fy, ratings: $ratings) { id status revision } }`;
export const SUBMIT = `mutation ToolsSubmit(${RATINGS_ARGS}) {
  submitSelfAssessment(provider: $provider, fiscalYear: $fy, ratings: $ratings) { id status revision } }`;

const VERSION_FIELDS = `version status templateVersion submittedBy submittedAt reason source
  review { decision comments reviewedBy reviewedAt }`;
export const DATA_CALL = `query ToolsDataCall($provider: ID!, $fy: Int!) {
  dataCall(provider: $provider, fiscalYear: $fy) {
    id status latestVersion acceptedVersion cost { costPerTransaction ftePerThousandCustomers totalCost }
    versions { ${VERSION_FIELDS} } } }`;

export const SURVEY_WAVES = `query ToolsWaves($fy: Int) {
  surveyWaves(fiscalYear: $fy) { id name fiscalYear status opensOn closesOn } }`;
const GROUP = "value label withheld withheldReason respondents responseRate itemMeans { itemId mean }";
export const SURVEY_RESULTS = `query ToolsSurvey($wave: ID!, $group: SurveyGroupBy!, $provider: ID) {
  surveyResults(wave: $wave, groupBy: $group, provider: $provider) {
    wave { id name items { id text overall } } total { ${GROUP} } groups { ${GROUP} } } }`;

export const ASSESSMENTS_TO_REVIEW = `query ToolsAssessmentsToReview($qsmo: ID!) {
  selfAssessmentsToReview(qsmo: $qsmo) { ${ASSESSMENT_FIELDS} history { revision action by at comments } } }`;
export const DATA_CALLS_TO_REVIEW = `query ToolsDataCallsToReview($qsmo: ID!) {
  dataCallsToReview(qsmo: $qsmo) { id providerId fiscalYear status latestVersion
    versions { ${VERSION_FIELDS} sections cost { costPerTransaction ftePerThousandCustomers totalCost }
      changes { description } } } }`;
export const ASSESSMENT_COMPARISON = `query ToolsAssessmentComparison($qsmo: ID!, $fy: Int!) {
  selfAssessmentComparison(qsmo: $qsmo, fiscalYear: $fy) { fiscalYear categories { id name }
    rows { providerId status overall categoryResults { categoryId result } } } }`;
export const REVIEW_ASSESSMENT = `mutation ToolsReviewAssessment($id: ID!, $decision: SelfAssessmentDecision!, $comments: String) {
  reviewSelfAssessment(id: $id, decision: $decision, comments: $comments) { id status } }`;
export const REVIEW_DATA_CALL = `mutation ToolsReviewDataCall($id: ID!, $decision: DataCallDecision!, $comments: String) {
  reviewDataCall(id: $id, decision: $decision, comments: $comments) { id status } }`;

/** The data call's HTTP endpoints, next to the GraphQL endpoint the page talks to. */
export function dataCallPaths(graphqlUrl, fiscalYear, provider) {
  const base = new URL(`/v1/data-call/${fiscalYear}/`, graphqlUrl);
  const who = `provider=${encodeURIComponent(provider)}`;
  return {
    template: new URL(`template.xlsx?${who}`, base).href,
    workbook: new URL(`workbook?${who}`, base).href,
  };
}

export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

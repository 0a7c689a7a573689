// The performance reviews' GraphQL documents and packet paths, in one place (names as in
// docs/reviews.md): the reviews by state, one review with its packet, changes and activity, the
// three steps DRAFT → READY → HELD, and what other parts add to a review — its deliveries
// (notifications service) and the draft actions the Adjust loop opened.

const PACKET = `packet { status version builtAt pages error pdfUrl xlsxUrl csvUrl sha256Pdf }`;
const SUMMARY = `id qsmoId fiscalYear quarter title meetingDate cutOff state createdAt ${PACKET}`;

export const REVIEWS = `query PerformanceReviews($qsmo: ID, $governmentWide: Boolean, $fy: Int, $state: ReviewState) {
  reviews(qsmo: $qsmo, governmentWide: $governmentWide, fiscalYear: $fy, state: $state, first: 100) {
    nodes { ${SUMMARY} } } }`;

export const REVIEW = `query PerformanceReview($id: ID!) {
  review(id: $id) {
    ${SUMMARY} participants notes updatedAt createdBy previousReviewId stakeholderListIds
    previous { id title cutOff }
    history { state at by note person { name } }
    decisions { text owner dueDate }
    scorecard { overallScore overallStatus }
    changes { oldOverallScore newOverallScore oldOverallStatus newOverallStatus causes
      measures { id dimensionId oldValue newValue oldStatus newStatus causes } }
    activity(first: 20) { nodes { id at actor action summary person { name } } } } }`;

export const CREATE = `mutation PerformanceReviewCreate($fy: Int!, $quarter: Int!, $qsmo: ID, $meetingDate: Date!,
  $participants: [String!]!) {
  createReview(fiscalYear: $fy, quarter: $quarter, qsmo: $qsmo, meetingDate: $meetingDate,
    participants: $participants) { id state } }`;

export const MAKE_READY = `mutation PerformanceReviewReady($id: ID!) {
  makeReviewReady(id: $id) { id state cutOff } }`;

export const RECORD_MEETING = `mutation PerformanceReviewMeeting($id: ID!, $decisions: [ReviewDecisionInput!]!, $notes: String) {
  recordReviewMeeting(id: $id, decisions: $decisions, notes: $notes) { id state } }`;

export const RERENDER = `mutation PerformanceReviewRerender($id: ID!) {
  rerenderReviewPacket(id: $id) { id ${PACKET} } }`;

export const DELIVERIES = `query PerformanceReviewDeliveries($id: ID!) {
  reviewDeliveries(reviewId: $id, first: 100) {
    nodes { id channel recipient status attempts lastError deliveredAt failedAt } } }`;

export const DRAFT_ACTIONS = `query PerformanceReviewActions($qsmo: ID) {
  improvementActions(qsmo: $qsmo, first: 100) {
    nodes { id qsmoId measureId title owner dueDate status overdue origin originReason reviewId } } }`;

export const MEASURE_NAMES = `query PerformanceReviewMeasures { framework { dimensions { id name measures { id name } } } }`;

/** The packet's address for `format` (pdf, xlsx or csv) beside the GraphQL endpoint. */
export function packetPath(graphqlUrl, reviewId, format) {
  return new URL(`/v1/reviews/${encodeURIComponent(reviewId)}/packet.${format}`, graphqlUrl).href;
}

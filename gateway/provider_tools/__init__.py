"""The provider tools of FRAMEWORK.md rev. 2 (self-assessment, data call, survey): their
stores, the tool-event outbox, and the ``ProviderTools`` bundle the gateway runtime holds."""

from dataclasses import dataclass

from gateway.provider_tools.assessments import SelfAssessments
from gateway.provider_tools.data_calls import DataCalls
from gateway.provider_tools.events import ToolEventOutbox
from gateway.provider_tools.surveys import SurveyTool


@dataclass(frozen=True)
class ProviderTools:
    """One field per tool, wired in ``gateway.bootstrap``."""

    events: ToolEventOutbox
    assessments: SelfAssessments
    surveys: SurveyTool
    data_calls: DataCalls

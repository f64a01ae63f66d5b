"""Sample platform exports (生意参谋, 京东商智, 抖店罗盘) of the sample quarter: data for kpi demo and the tests."""
